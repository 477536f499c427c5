using System.Runtime.CompilerServices;

namespace Pluralist.Core.Cleaning;

/// <summary>One ordinal label: a rater put an item in ordered category 0..K−1.</summary>
public readonly record struct OrdinalLabel(string Item, string Rater, int Category);

/// <summary>
/// A fitted ordinal rater model (<see cref="OrdinalRaterModel"/>): per rater a discrimination a_j and the reliability
/// derived from it, per item a location θ_i, shared thresholds, each with a Wald standard error.
/// </summary>
public sealed class OrdinalRaterFit
{
    internal OrdinalRaterFit(int[] used, string[] raters, string[] items, double[] a, double[] aSe, double[] theta, double[] thetaSe, double[] thresholds, int[] raterLabels, int[] itemLabels,
        double logLikelihood, double logPosterior, double maxGradient, int iterations, bool converged, bool exactCovariance)
    {
        UsedCategories = used;
        Raters = raters;
        Items = items;
        Discrimination = a;
        DiscriminationSe = aSe;
        Location = theta;
        LocationSe = thetaSe;
        Thresholds = thresholds;
        RaterLabels = raterLabels;
        ItemLabels = itemLabels;
        LogLikelihood = logLikelihood;
        LogPosterior = logPosterior;
        MaxGradient = maxGradient;
        Iterations = iterations;
        Converged = converged;
        ExactCovariance = exactCovariance;
    }

    /// <summary>The categories the labels used, ascending; the model's ordered categories are these (unused ones collapsed).</summary>
    public IReadOnlyList<int> UsedCategories { get; }

    public IReadOnlyList<string> Raters { get; }

    public IReadOnlyList<string> Items { get; }

    /// <summary>Per rater, a_j: how strongly their labels follow the items' locations (0 = noise, below 0 = reversed).</summary>
    public IReadOnlyList<double> Discrimination { get; }

    /// <summary>Per rater, the Wald standard error of a_j.</summary>
    public IReadOnlyList<double> DiscriminationSe { get; }

    /// <summary>Per item, θ_i: its location on the latent scale (prior N(0, 1)); higher = higher categories expected.</summary>
    public IReadOnlyList<double> Location { get; }

    /// <summary>Per item, the Wald standard error of θ_i.</summary>
    public IReadOnlyList<double> LocationSe { get; }

    /// <summary>The K′ − 1 shared thresholds between adjacent used categories, ascending.</summary>
    public IReadOnlyList<double> Thresholds { get; }

    public IReadOnlyList<int> RaterLabels { get; }

    public IReadOnlyList<int> ItemLabels { get; }

    /// <summary>Σ over labels of log P(label | θ, a, τ) at the fit.</summary>
    public double LogLikelihood { get; }

    /// <summary>The log-likelihood plus the log priors (up to constants): the objective maximised.</summary>
    public double LogPosterior { get; }

    /// <summary>The largest absolute partial derivative of the log posterior at the fit.</summary>
    public double MaxGradient { get; }

    public int Iterations { get; }

    public bool Converged { get; }

    /// <summary>True when the standard errors come from the inverse of the whole negative Hessian; false when (many raters) each
    /// rater's comes from its own Schur-complemented diagonal entry (other raters' and the thresholds' uncertainty left out).</summary>
    public bool ExactCovariance { get; }

    /// <summary>Per rater, <see cref="OrdinalRaterModel.Reliability"/> of a_j.</summary>
    public double ReliabilityAt(int rater) => OrdinalRaterModel.Reliability(Discrimination[rater]);
}

/// <summary>
/// An ordinal item-response model of raters (a graded-response / cumulative-logit model, Samejima 1969, with the raters as
/// the "items" of IRT and the rated items as its "persons"): P(Y_ij ≤ k) = σ(τ_k − a_j θ_i), with a location θ_i per item,
/// a discrimination a_j per rater and thresholds τ_0 &lt; … &lt; τ_{K−2} shared by everyone. Priors (MAP, which also fixes the
/// scale): θ_i ~ N(0, 1), a_j ~ N(1, 2²), τ_k ~ N(0, 10²). Fit: block coordinate ascent on the log posterior, one Newton
/// step per block per sweep (all thresholds together, then each a_j, then each θ_i; each is concave in its block), halving
/// a step until the objective does not drop (and the thresholds stay ordered). Stops when the largest gradient entry is below
/// the tolerance. Standard errors: the inverse of the negative Hessian of the log posterior at the fit (Laplace), the item
/// block eliminated by its Schur complement. Categories no label used are collapsed.
/// </summary>
public static class OrdinalRaterModel
{
    public const double LocationPriorSd = 1;
    public const double DiscriminationPriorMean = 1;
    public const double DiscriminationPriorSd = 2;
    public const double ThresholdPriorSd = 10;

    /// <summary>With more raters and thresholds than this, standard errors use the per-rater approximation (<see cref="OrdinalRaterFit.ExactCovariance"/>).</summary>
    public const int ExactCovarianceLimit = 1000;

    /// <summary>Variance of the standard logistic distribution, π²/3.</summary>
    public static readonly double LogisticVariance = Math.PI * Math.PI / 3;

    /// <summary>The ordered categories a slider answer is binned to: 0 strong image_0 (≤ −0.5), 1 image_0 (−0.5, 0), 2 neutral (0), 3 image_1 (0, 0.5), 4 strong image_1 (≥ 0.5).</summary>
    public static readonly IReadOnlyList<string> SliderCategories = ["image_0 strong (≤ −0.5)", "image_0 (−0.5, 0)", "neutral (0)", "image_1 (0, 0.5)", "image_1 strong (≥ 0.5)"];

    /// <summary>The category of an oriented preference in [−1, 1] (<see cref="SliderCategories"/>).</summary>
    public static int SliderCategory(double preference) => preference switch
    {
        <= -0.5 => 0,
        < 0 => 1,
        0 => 2,
        < 0.5 => 3,
        _ => 4,
    };

    /// <summary>
    /// Reliability of a rater of discrimination a: a|a| / (a² + π²/3), the share of the variance of the rater's latent response
    /// a θ + ε (θ ~ N(0, 1), ε standard logistic) that the item explains, negative for a reversed rater. Monotone in a.
    /// </summary>
    public static double Reliability(double a) => a * Math.Abs(a) / ((a * a) + LogisticVariance);

    /// <summary>P(Y = y | η) with thresholds τ (K − 1 of them): σ(τ_y − η) − σ(τ_{y−1} − η), τ_{−1} = −∞, τ_{K−1} = +∞.</summary>
    public static double CategoryProbability(int y, double eta, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var t = thresholds.ToArray();
        return Math.Exp(Observe(y, eta, t).LogP);
    }

    public static OrdinalRaterFit Fit(IEnumerable<OrdinalLabel> labels, int maxIterations = 2000, double tolerance = 1e-6) =>
        Fit(labels, maxIterations, tolerance, reference: false);

    /// <summary>
    /// <see cref="Fit(IEnumerable{OrdinalLabel}, int, double)"/>; <paramref name="reference"/> runs the model as it used to be
    /// computed, for a test that compares the two bit for bit: the negative Hessian's rater-and-threshold block in a dictionary
    /// keyed by entry instead of its non-zero parts, its item-rest rows in a dictionary per item instead of flat arrays laid out
    /// once, and every label's <see cref="Observe"/> computed again at each use instead of once per point.
    /// </summary>
    internal static OrdinalRaterFit Fit(IEnumerable<OrdinalLabel> labels, int maxIterations, double tolerance, bool reference)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var list = labels.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("the ordinal rater model needs at least one label", nameof(labels));
        }

        var bad = list.FirstOrDefault(l => l.Category < 0);
        if (bad.Category < 0)
        {
            throw new ArgumentException($"label of item '{bad.Item}' by rater '{bad.Rater}' has a negative category {bad.Category}", nameof(labels));
        }

        var used = list.Select(l => l.Category).Distinct().Order().ToArray();
        if (used.Length < 2)
        {
            throw new ArgumentException($"every label is in category {used[0]}: an ordinal model needs labels in at least two categories", nameof(labels));
        }

        var category = used.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i);
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var raterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = list.Count;
        var oi = new int[n];
        var oj = new int[n];
        var oy = new int[n];
        for (var o = 0; o < n; o++)
        {
            var l = list[o];
            if (!itemIndex.TryGetValue(l.Item, out var i))
            {
                i = itemIndex.Count;
                itemIndex[l.Item] = i;
            }

            if (!raterIndex.TryGetValue(l.Rater, out var j))
            {
                j = raterIndex.Count;
                raterIndex[l.Rater] = j;
            }

            (oi[o], oj[o], oy[o]) = (i, j, category[l.Category]);
        }

        var model = new Model(used.Length, itemIndex.Count, raterIndex.Count, oi, oj, oy, reference);
        var (iterations, converged) = model.Run(maxIterations, tolerance);
        var exact = model.StandardErrors(out var aSe, out var thetaSe);
        return new OrdinalRaterFit(used, [.. raterIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key)], [.. itemIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key)],
            model.A, aSe, model.Theta, thetaSe, model.Tau, model.RaterLabels, model.ItemLabels, model.LogLikelihood(), model.LogPosterior(), model.MaxGradient(), iterations, converged, exact);
    }

    // One label's log-probability and its derivatives in u = τ_y − η and l = τ_{y−1} − η (ℓ = log(F(u) − F(l)), F = σ).
    internal readonly record struct Obs(double LogP, double Lu, double Ll, double Luu, double Lll, double Lul)
    {
        public double Eta => -(Lu + Ll);

        public double EtaEta => Luu + (2 * Lul) + Lll;

        // ∂²ℓ/∂η∂τ_y and ∂²ℓ/∂η∂τ_{y−1}.
        public double EtaUpper => -(Luu + Lul);

        public double EtaLower => -(Lul + Lll);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Obs Observe(int y, double eta, double[] tau)
    {
        var k = tau.Length + 1;
        var hasU = y < k - 1;
        var hasL = y > 0;
        var u = hasU ? tau[y] - eta : double.PositiveInfinity;
        var l = hasL ? tau[y - 1] - eta : double.NegativeInfinity;

        // σ(u), σ(−u), σ(l), σ(−l) from one exponential per bound (SigmoidPair).
        double su = 0, suMinus = 0, sl = 0, slMinus = 0;
        if (hasU)
        {
            (su, suMinus) = SigmoidPair(u);
        }

        if (hasL)
        {
            (sl, slMinus) = SigmoidPair(l);
        }

        // p = F(u) − F(l), computed in the tail where it does not cancel.
        double p;
        if (hasL && l > 0)
        {
            p = slMinus - (hasU ? suMinus : 0);
        }
        else
        {
            p = (hasU ? su : 1) - (hasL ? sl : 0);
        }

        p = Math.Max(p, 1e-300);
        double fu = 0, fl = 0, dfu = 0, dfl = 0;
        if (hasU)
        {
            fu = su * (1 - su);
            dfu = fu * (1 - (2 * su));
        }

        if (hasL)
        {
            fl = sl * (1 - sl);
            dfl = fl * (1 - (2 * sl));
        }

        return new Obs(Math.Log(p), fu / p, -fl / p, (dfu / p) - (fu * fu / (p * p)), (-dfl / p) - (fl * fl / (p * p)), fu * fl / (p * p));
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>
    /// (σ(x), σ(−x)), each with <see cref="Sigmoid"/>'s arithmetic, from one exponential: for x ≥ 0 both are formed from
    /// e = exp(−x) (σ(x) = 1/(1 + e), σ(−x) = e/(1 + e), and at x = 0 both are 1/(1 + 1)); for x &lt; 0 from f = exp(x)
    /// (σ(x) = f/(1 + f), σ(−x) = 1/(1 + f)). So the same bits as two calls of Sigmoid (which took up to four exponentials),
    /// but for the sign of a NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    internal static (double Plus, double Minus) SigmoidPair(double x)
    {
        if (x >= 0)
        {
            var e = Math.Exp(-x);
            return (1 / (1 + e), e / (1 + e));
        }

        var f = Math.Exp(x);
        return (f / (1 + f), 1 / (1 + f));
    }

    private sealed class Model
    {
        private static readonly double VarA = DiscriminationPriorSd * DiscriminationPriorSd;
        private static readonly double VarTau = ThresholdPriorSd * ThresholdPriorSd;
        private readonly int _k;
        private readonly int[] _oi;
        private readonly int[] _oj;
        private readonly int[] _oy;
        private readonly int[][] _byItem;
        private readonly int[][] _byRater;
        private readonly bool _reference;

        // The item-rest rows b_i of the negative Hessian, laid out flat: item i's entries are [_rowStart[i], _rowStart[i + 1]), rest
        // index _rowKey[s], in the order a dictionary per item would enumerate them (first addition first); label o adds to
        // its rater's entry _slotRater[o], its upper threshold's _slotUpper[o] and its lower threshold's _slotLower[o] (−1: none).
        private readonly int[] _rowStart;
        private readonly int[] _rowKey;
        private readonly int[] _slotRater;
        private readonly int[] _slotUpper;
        private readonly int[] _slotLower;

        // Observe of every label at the current parameters, computed once per point: the gradient, the Hessian, the objective
        // and the thresholds' step each used to compute it again at the same point. Same inputs, so the same values.
        private readonly Obs[] _observed;
        private bool _observedValid;

        public Model(int k, int items, int raters, int[] oi, int[] oj, int[] oy, bool reference)
        {
            _k = k;
            _reference = reference;
            (_oi, _oj, _oy) = (oi, oj, oy);
            _byItem = Group(oi, items);
            _byRater = Group(oj, raters);
            ItemLabels = [.. _byItem.Select(g => g.Length)];
            RaterLabels = [.. _byRater.Select(g => g.Length)];
            A = Enumerable.Repeat(1.0, raters).ToArray();
            (_rowStart, _rowKey, _slotRater, _slotUpper, _slotLower) = RowLayout(k, items, raters, oi, oj, oy);
            _observed = new Obs[oy.Length];

            // Start: each item's standardised mean category; thresholds at the logits of the cumulative category shares.
            var means = _byItem.Select(g => g.Average(o => (double)oy[o])).ToArray();
            var mu = means.Average();
            var sd = Math.Sqrt(means.Sum(m => (m - mu) * (m - mu)) / means.Length);
            Theta = [.. means.Select(m => sd > 0 ? (m - mu) / sd : 0)];
            Tau = new double[k - 1];
            var cumulative = 0;
            for (var c = 0; c < k - 1; c++)
            {
                cumulative += oy.Count(y => y == c);
                var share = Math.Clamp(cumulative / (double)oy.Length, 0.01, 0.99);
                Tau[c] = Math.Log(share / (1 - share));
            }

            for (var c = 1; c < k - 1; c++)
            {
                Tau[c] = Math.Max(Tau[c], Tau[c - 1] + 0.01);
            }
        }

        public double[] A { get; }

        public double[] Theta { get; }

        public double[] Tau { get; }

        public int[] ItemLabels { get; }

        public int[] RaterLabels { get; }

        // Every label's Observe at the current parameters (A, Θ, τ); whatever changes a parameter calls Changed.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private Obs[] Observed()
        {
            if (!_observedValid || _reference)
            {
                for (var o = 0; o < _oy.Length; o++)
                {
                    _observed[o] = Observe(_oy[o], A[_oj[o]] * Theta[_oi[o]], Tau);
                }

                _observedValid = true;
            }

            return _observed;
        }

        private void Changed() => _observedValid = false;

        public (int Iterations, bool Converged) Run(int maxIterations, double tolerance)
        {
            // Coordinate sweeps until the gradient is small, then full Newton steps (quadratic convergence) while the negative
            // Hessian is positive definite and a step improves the objective; otherwise another sweep.
            var newton = A.Length + _k - 1 <= ExactCovarianceLimit;
            for (var it = 1; it <= maxIterations; it++)
            {
                var gradient = MaxGradient();
                if (gradient < tolerance)
                {
                    return (it - 1, true);
                }

                if (newton && it > 2 && NewtonStep())
                {
                    continue;
                }

                StepThresholds();
                for (var j = 0; j < A.Length; j++)
                {
                    StepRater(j);
                }

                for (var i = 0; i < Theta.Length; i++)
                {
                    StepItem(i);
                }
            }

            return (maxIterations, MaxGradient() < tolerance);
        }

        // One Newton step on all parameters: N Δ = g with N the negative Hessian, the item block eliminated (Schur complement).
        private bool NewtonStep()
        {
            var h = Assemble();
            var r = A.Length + _k - 1;
            var s = h.Schur(r);
            var rhs = (double[])h.GRest.Clone();
            for (var i = 0; i < Theta.Length; i++)
            {
                for (var p = h.RowStart[i]; p < h.RowStart[i + 1]; p++)
                {
                    rhs[h.RowKey[p]] -= h.RowValue[p] * h.GTheta[i] / h.Diag[i];
                }
            }

            var dRest = Dense.Solve(s, rhs, r);
            if (dRest is null)
            {
                return false;
            }

            var dTheta = new double[Theta.Length];
            for (var i = 0; i < Theta.Length; i++)
            {
                var v = h.GTheta[i];
                for (var p = h.RowStart[i]; p < h.RowStart[i + 1]; p++)
                {
                    v -= h.RowValue[p] * dRest[h.RowKey[p]];
                }

                dTheta[i] = v / h.Diag[i];
            }

            var (theta0, a0, tau0) = ((double[])Theta.Clone(), (double[])A.Clone(), (double[])Tau.Clone());
            var f0 = LogPosterior();
            for (var half = 0; half < 20; half++)
            {
                var scale = Math.Pow(0.5, half);
                for (var i = 0; i < Theta.Length; i++)
                {
                    Theta[i] = theta0[i] + (scale * dTheta[i]);
                }

                for (var j = 0; j < A.Length; j++)
                {
                    A[j] = a0[j] + (scale * dRest[j]);
                }

                for (var c = 0; c < _k - 1; c++)
                {
                    Tau[c] = tau0[c] + (scale * dRest[A.Length + c]);
                }

                Changed();

                if (Ordered(Tau) && LogPosterior() >= f0)
                {
                    return true;
                }
            }

            Changed();
            Array.Copy(theta0, Theta, Theta.Length);
            Array.Copy(a0, A, A.Length);
            Array.Copy(tau0, Tau, Tau.Length);
            return false;
        }

        private static bool Ordered(double[] tau)
        {
            for (var c = 1; c < tau.Length; c++)
            {
                if (!(tau[c] > tau[c - 1]))
                {
                    return false;
                }
            }

            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double LogLikelihood()
        {
            var sum = 0.0;
            var observed = Observed();
            for (var o = 0; o < _oy.Length; o++)
            {
                sum += observed[o].LogP;
            }

            return sum;
        }

        public double LogPosterior() =>
            LogLikelihood() - (Theta.Sum(t => t * t) / 2) - (A.Sum(a => (a - DiscriminationPriorMean) * (a - DiscriminationPriorMean)) / (2 * VarA)) - (Tau.Sum(t => t * t) / (2 * VarTau));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double MaxGradient()
        {
            var gTheta = Theta.Select(t => -t).ToArray();
            var gA = A.Select(a => -(a - DiscriminationPriorMean) / VarA).ToArray();
            var gTau = Tau.Select(t => -t / VarTau).ToArray();
            var observed = Observed();
            for (var o = 0; o < _oy.Length; o++)
            {
                var (i, j, y) = (_oi[o], _oj[o], _oy[o]);
                var d = observed[o];
                gTheta[i] += d.Eta * A[j];
                gA[j] += d.Eta * Theta[i];
                if (y < _k - 1)
                {
                    gTau[y] += d.Lu;
                }

                if (y > 0)
                {
                    gTau[y - 1] += d.Ll;
                }
            }

            return gTheta.Concat(gA).Concat(gTau).Max(Math.Abs);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void StepRater(int j)
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            double Objective(double a)
            {
                var s = -(a - DiscriminationPriorMean) * (a - DiscriminationPriorMean) / (2 * VarA);
                foreach (var o in _byRater[j])
                {
                    s += Observe(_oy[o], a * Theta[_oi[o]], Tau).LogP;
                }

                return s;
            }

            // The objective at A[j] from the same labels' values as the derivatives (Objective(A[j]), summed in the same order).
            double g = -(A[j] - DiscriminationPriorMean) / VarA, h = -1 / VarA;
            var f0 = -(A[j] - DiscriminationPriorMean) * (A[j] - DiscriminationPriorMean) / (2 * VarA);
            foreach (var o in _byRater[j])
            {
                var t = Theta[_oi[o]];
                var d = Observe(_oy[o], A[j] * t, Tau);
                g += d.Eta * t;
                h += d.EtaEta * t * t;
                f0 += d.LogP;
            }

            A[j] = LineSearch(A[j], -g / h, _reference ? Objective(A[j]) : f0, Objective);
            Changed();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void StepItem(int i)
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            double Objective(double theta)
            {
                var s = -theta * theta / 2;
                foreach (var o in _byItem[i])
                {
                    s += Observe(_oy[o], A[_oj[o]] * theta, Tau).LogP;
                }

                return s;
            }

            // The objective at Theta[i] from the same labels' values as the derivatives (Objective(Theta[i])).
            double g = -Theta[i], h = -1;
            var f0 = -Theta[i] * Theta[i] / 2;
            foreach (var o in _byItem[i])
            {
                var a = A[_oj[o]];
                var d = Observe(_oy[o], a * Theta[i], Tau);
                g += d.Eta * a;
                h += d.EtaEta * a * a;
                f0 += d.LogP;
            }

            Theta[i] = LineSearch(Theta[i], -g / h, _reference ? Objective(Theta[i]) : f0, Objective);
            Changed();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static double LineSearch(double x, double step, double f0, Func<double, double> objective)
        {
            for (var half = 0; half < 40; half++, step /= 2)
            {
                if (objective(x + step) >= f0)
                {
                    return x + step;
                }
            }

            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void StepThresholds()
        {
            var m = _k - 1;
            var g = Tau.Select(t => -t / VarTau).ToArray();
            var h = new double[m * m];
            for (var c = 0; c < m; c++)
            {
                h[(c * m) + c] = 1 / VarTau;
            }

            var etas = new double[_oy.Length];
            var observed = Observed();
            for (var o = 0; o < _oy.Length; o++)
            {
                etas[o] = A[_oj[o]] * Theta[_oi[o]];
                var y = _oy[o];
                var d = observed[o];
                if (y < m)
                {
                    g[y] += d.Lu;
                    h[(y * m) + y] -= d.Luu;
                }

                if (y > 0)
                {
                    g[y - 1] += d.Ll;
                    h[((y - 1) * m) + y - 1] -= d.Lll;
                }

                if (y > 0 && y < m)
                {
                    h[(y * m) + y - 1] -= d.Lul;
                    h[((y - 1) * m) + y] -= d.Lul;
                }
            }

            var step = Dense.Solve(h, g, m) ?? g;
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            double Objective(double[] tau)
            {
                for (var c = 1; c < m; c++)
                {
                    if (!(tau[c] > tau[c - 1]))
                    {
                        return double.NegativeInfinity;
                    }
                }

                var s = -tau.Sum(t => t * t) / (2 * VarTau);
                for (var o = 0; o < _oy.Length; o++)
                {
                    s += Observe(_oy[o], etas[o], tau).LogP;
                }

                return s;
            }

            // Objective(Tau), its sums from the labels' values at the current point (the reference computes them again).
            var f0 = _reference ? Objective(Tau) : double.NegativeInfinity;
            if (!_reference && Ordered(Tau))
            {
                f0 = -Tau.Sum(t => t * t) / (2 * VarTau);
                for (var o = 0; o < _oy.Length; o++)
                {
                    f0 += observed[o].LogP;
                }
            }

            var trial = new double[m];
            var scale = 1.0;
            for (var half = 0; half < 40; half++, scale /= 2)
            {
                for (var c = 0; c < m; c++)
                {
                    trial[c] = Tau[c] + (scale * step[c]);
                }

                if (Objective(trial) >= f0)
                {
                    Array.Copy(trial, Tau, m);
                    Changed();
                    return;
                }
            }
        }

        // Negative Hessian of the log posterior: D (items, diagonal), the rest r = (a_1..a_J, τ_0..τ_{K−2}) dense block C and the
        // item-rest cross terms b_i (sparse rows), and the gradient. Var(rest) = S⁻¹ with S = C − Σ_i b_i b_iᵀ / D_i;
        // Var(θ_i) = 1/D_i + v_iᵀ S⁻¹ v_i, v_i = b_i / D_i.
        // Item i's row b_i: entries [RowStart[i], RowStart[i + 1]) of RowKey (rest index) and RowValue.
        private sealed record Hessian(double[] Diag, int[] RowStart, int[] RowKey, double[] RowValue, RestBlock C, double[] GTheta, double[] GRest)
        {
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public double[] Schur(int r)
            {
                var s = new double[r * r];
                C.AddTo(s, r);

                for (var i = 0; i < Diag.Length; i++)
                {
                    var d = Diag[i];
                    for (var p = RowStart[i]; p < RowStart[i + 1]; p++)
                    {
                        var (x, bx) = (RowKey[p], RowValue[p]);
                        for (var q = RowStart[i]; q < RowStart[i + 1]; q++)
                        {
                            s[(x * r) + RowKey[q]] -= bx * RowValue[q] / d;
                        }
                    }
                }

                return s;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private Hessian Assemble()
        {
            var items = Theta.Length;
            var raters = A.Length;
            var diag = new double[items];
            var rows = _reference ? new Dictionary<int, double>[items] : null;
            var rowValue = new double[_rowKey.Length];
            var c = new RestBlock(raters, _k - 1, _reference);
            var gTheta = Theta.Select(t => -t).ToArray();
            var gRest = A.Select(a => -(a - DiscriminationPriorMean) / VarA).Concat(Tau.Select(t => -t / VarTau)).ToArray();
            void AddC(int x, int y, double v) => c.Add(x, y, v);

            for (var j = 0; j < raters; j++)
            {
                AddC(j, j, 1 / VarA);
            }

            for (var t = 0; t < _k - 1; t++)
            {
                AddC(raters + t, raters + t, 1 / VarTau);
            }

            for (var i = 0; i < items; i++)
            {
                diag[i] = 1;
                if (rows is not null)
                {
                    rows[i] = [];
                }
            }

            var observed = Observed();
            for (var o = 0; o < _oy.Length; o++)
            {
                var (i, j, y) = (_oi[o], _oj[o], _oy[o]);
                var (a, th) = (A[j], Theta[i]);
                var d = observed[o];
                gTheta[i] += d.Eta * a;
                gRest[j] += d.Eta * th;
                diag[i] -= d.EtaEta * a * a;
                AddC(j, j, -d.EtaEta * th * th);
                var row = rows?[i];
                if (row is not null)
                {
                    row[j] = row.GetValueOrDefault(j) - ((d.EtaEta * a * th) + d.Eta);
                }
                else
                {
                    rowValue[_slotRater[o]] = rowValue[_slotRater[o]] - ((d.EtaEta * a * th) + d.Eta);
                }

                if (y < _k - 1)
                {
                    var ty = raters + y;
                    gRest[ty] += d.Lu;
                    if (row is not null)
                    {
                        row[ty] = row.GetValueOrDefault(ty) - (d.EtaUpper * a);
                    }
                    else
                    {
                        rowValue[_slotUpper[o]] = rowValue[_slotUpper[o]] - (d.EtaUpper * a);
                    }

                    AddC(j, ty, -d.EtaUpper * th);
                    AddC(ty, j, -d.EtaUpper * th);
                    AddC(ty, ty, -d.Luu);
                }

                if (y > 0)
                {
                    var tl = raters + y - 1;
                    gRest[tl] += d.Ll;
                    if (row is not null)
                    {
                        row[tl] = row.GetValueOrDefault(tl) - (d.EtaLower * a);
                    }
                    else
                    {
                        rowValue[_slotLower[o]] = rowValue[_slotLower[o]] - (d.EtaLower * a);
                    }

                    AddC(j, tl, -d.EtaLower * th);
                    AddC(tl, j, -d.EtaLower * th);
                    AddC(tl, tl, -d.Lll);
                }

                if (y > 0 && y < _k - 1)
                {
                    AddC(raters + y, raters + y - 1, -d.Lul);
                    AddC(raters + y - 1, raters + y, -d.Lul);
                }
            }

            if (rows is null)
            {
                return new Hessian(diag, _rowStart, _rowKey, rowValue, c, gTheta, gRest);
            }

            // The reference: each item's dictionary in its own order.
            var start = new int[items + 1];
            for (var i = 0; i < items; i++)
            {
                start[i + 1] = start[i] + rows[i].Count;
            }

            var (key, value) = (new int[start[items]], new double[start[items]]);
            for (var i = 0; i < items; i++)
            {
                var p = start[i];
                foreach (var (x, bx) in rows[i])
                {
                    (key[p], value[p]) = (x, bx);
                    p++;
                }
            }

            return new Hessian(diag, start, key, value, c, gTheta, gRest);
        }

        public bool StandardErrors(out double[] aSe, out double[] thetaSe)
        {
            var items = Theta.Length;
            var raters = A.Length;
            var r = raters + _k - 1;
            var h = Assemble();
            var (diag, c) = (h.Diag, h.C);
            aSe = new double[raters];
            thetaSe = new double[items];
            double[]? inverse = null;
            if (r <= ExactCovarianceLimit)
            {
                inverse = Dense.Inverse(h.Schur(r), r);
            }

            if (inverse is not null)
            {
                for (var j = 0; j < raters; j++)
                {
                    aSe[j] = Math.Sqrt(inverse[(j * r) + j]);
                }

                for (var i = 0; i < items; i++)
                {
                    var v = 1 / diag[i];
                    for (var p = h.RowStart[i]; p < h.RowStart[i + 1]; p++)
                    {
                        var (x, bx) = (h.RowKey[p], h.RowValue[p]);
                        for (var q = h.RowStart[i]; q < h.RowStart[i + 1]; q++)
                        {
                            v += bx * h.RowValue[q] * inverse[(x * r) + h.RowKey[q]] / (diag[i] * diag[i]);
                        }
                    }

                    thetaSe[i] = Math.Sqrt(v);
                }

                return true;
            }

            // Many raters (or a singular matrix): each rest parameter's own Schur-complemented diagonal entry.
            var sDiag = new double[r];
            c.AddDiagonalTo(sDiag);

            for (var i = 0; i < items; i++)
            {
                for (var p = h.RowStart[i]; p < h.RowStart[i + 1]; p++)
                {
                    sDiag[h.RowKey[p]] -= h.RowValue[p] * h.RowValue[p] / diag[i];
                }
            }

            for (var j = 0; j < raters; j++)
            {
                aSe[j] = sDiag[j] > 0 ? Math.Sqrt(1 / sDiag[j]) : double.NaN;
            }

            for (var i = 0; i < items; i++)
            {
                var v = 1 / diag[i];
                for (var p = h.RowStart[i]; p < h.RowStart[i + 1]; p++)
                {
                    var (x, bx) = (h.RowKey[p], h.RowValue[p]);
                    v += sDiag[x] > 0 ? bx * bx / (diag[i] * diag[i] * sDiag[x]) : 0;
                }

                thetaSe[i] = Math.Sqrt(v);
            }

            return false;
        }

        /// <summary>
        /// The rest block C of the negative Hessian (raters a_1..a_J, then thresholds τ). A label involves one rater and its
        /// category's thresholds, so only C's rater diagonal, rater-threshold, threshold-rater and threshold-threshold entries
        /// are ever added to: they are held in four arrays (J + 2J(K−1) + (K−1)² values) instead of a dictionary keyed by entry,
        /// which cost a tuple hash per addition, five per label per Newton step. Each entry is the same sum in the same order,
        /// starting from 0, and <see cref="AddTo"/> writes each once, so the values are the dictionary's bits (kept with
        /// <c>reference</c> for the test that compares).
        /// </summary>
        private sealed class RestBlock(int raters, int thresholds, bool reference)
        {
            private readonly Dictionary<(int, int), double>? _entries = reference ? [] : null;
            private readonly double[] _rater = new double[reference ? 0 : raters];
            private readonly double[] _raterThreshold = new double[reference ? 0 : raters * thresholds]; // (a_j, τ_t) at j·(K−1) + t
            private readonly double[] _thresholdRater = new double[reference ? 0 : raters * thresholds]; // (τ_t, a_j) at j·(K−1) + t
            private readonly double[] _threshold = new double[reference ? 0 : thresholds * thresholds];

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Add(int x, int y, double v)
            {
                if (_entries is not null)
                {
                    _entries[(x, y)] = _entries.GetValueOrDefault((x, y)) + v;
                }
                else if (x < raters && y < raters)
                {
                    if (x != y)
                    {
                        throw new InvalidOperationException($"the Hessian has no entry between raters {x} and {y}");
                    }

                    _rater[x] += v;
                }
                else if (x < raters)
                {
                    _raterThreshold[(x * thresholds) + y - raters] += v;
                }
                else if (y < raters)
                {
                    _thresholdRater[(y * thresholds) + x - raters] += v;
                }
                else
                {
                    _threshold[((x - raters) * thresholds) + y - raters] += v;
                }
            }

            /// <summary>Adds C to the zeroed r × r matrix <paramref name="s"/> (row-major).</summary>
            public void AddTo(double[] s, int r)
            {
                if (_entries is not null)
                {
                    foreach (var ((x, y), v) in _entries)
                    {
                        s[(x * r) + y] += v;
                    }

                    return;
                }

                for (var j = 0; j < raters; j++)
                {
                    s[(j * r) + j] += _rater[j];
                    for (var t = 0; t < thresholds; t++)
                    {
                        s[(j * r) + raters + t] += _raterThreshold[(j * thresholds) + t];
                        s[((raters + t) * r) + j] += _thresholdRater[(j * thresholds) + t];
                    }
                }

                for (var t = 0; t < thresholds; t++)
                {
                    for (var u = 0; u < thresholds; u++)
                    {
                        s[((raters + t) * r) + raters + u] += _threshold[(t * thresholds) + u];
                    }
                }
            }

            /// <summary>Adds C's diagonal to the zeroed <paramref name="diagonal"/>.</summary>
            public void AddDiagonalTo(double[] diagonal)
            {
                if (_entries is not null)
                {
                    foreach (var ((x, y), v) in _entries)
                    {
                        if (x == y)
                        {
                            diagonal[x] += v;
                        }
                    }

                    return;
                }

                for (var j = 0; j < raters; j++)
                {
                    diagonal[j] += _rater[j];
                }

                for (var t = 0; t < thresholds; t++)
                {
                    diagonal[raters + t] += _threshold[(t * thresholds) + t];
                }
            }
        }

        // Each item's row entries in the order of their first addition by Assemble (label order: rater, upper threshold, lower
        // threshold), and each label's slots.
        private static (int[] Start, int[] Key, int[] Rater, int[] Upper, int[] Lower) RowLayout(int k, int items, int raters, int[] oi, int[] oj, int[] oy)
        {
            var keys = new List<int>[items];
            for (var i = 0; i < items; i++)
            {
                keys[i] = [];
            }

            var n = oy.Length;
            var (rater, upper, lower) = (new int[n], new int[n], new int[n]);
            for (var o = 0; o < n; o++)
            {
                var (row, y) = (keys[oi[o]], oy[o]);
                rater[o] = Local(row, oj[o]);
                upper[o] = y < k - 1 ? Local(row, raters + y) : -1;
                lower[o] = y > 0 ? Local(row, raters + y - 1) : -1;
            }

            var start = new int[items + 1];
            for (var i = 0; i < items; i++)
            {
                start[i + 1] = start[i] + keys[i].Count;
            }

            var key = new int[start[items]];
            for (var i = 0; i < items; i++)
            {
                keys[i].CopyTo(key, start[i]);
            }

            for (var o = 0; o < n; o++)
            {
                var at = start[oi[o]];
                rater[o] += at;
                upper[o] = upper[o] < 0 ? -1 : upper[o] + at;
                lower[o] = lower[o] < 0 ? -1 : lower[o] + at;
            }

            return (start, key, rater, upper, lower);

            static int Local(List<int> row, int x)
            {
                var at = row.IndexOf(x);
                if (at < 0)
                {
                    at = row.Count;
                    row.Add(x);
                }

                return at;
            }
        }

        private static int[][] Group(int[] keys, int count)
        {
            var lists = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
            for (var o = 0; o < keys.Length; o++)
            {
                lists[keys[o]].Add(o);
            }

            return [.. lists.Select(l => l.ToArray())];
        }
    }

    // Small dense symmetric positive-definite algebra by Cholesky (row-major n × n).
    private static class Dense
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static double[]? Cholesky(double[] a, int n)
        {
            var l = new double[n * n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    var s = a[(i * n) + j];
                    for (var k = 0; k < j; k++)
                    {
                        s -= l[(i * n) + k] * l[(j * n) + k];
                    }

                    if (i == j)
                    {
                        if (!(s > 0))
                        {
                            return null;
                        }

                        l[(i * n) + i] = Math.Sqrt(s);
                    }
                    else
                    {
                        l[(i * n) + j] = s / l[(j * n) + j];
                    }
                }
            }

            return l;
        }

        public static double[]? Solve(double[] a, double[] b, int n)
        {
            var l = Cholesky(a, n);
            return l is null ? null : SolveFactored(l, b, n);
        }

        public static double[]? Inverse(double[] a, int n)
        {
            var l = Cholesky(a, n);
            if (l is null)
            {
                return null;
            }

            var inv = new double[n * n];
            var e = new double[n];
            for (var col = 0; col < n; col++)
            {
                Array.Clear(e);
                e[col] = 1;
                var x = SolveFactored(l, e, n);
                for (var row = 0; row < n; row++)
                {
                    inv[(row * n) + col] = x[row];
                }
            }

            return inv;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static double[] SolveFactored(double[] l, double[] b, int n)
        {
            var y = new double[n];
            for (var i = 0; i < n; i++)
            {
                var s = b[i];
                for (var k = 0; k < i; k++)
                {
                    s -= l[(i * n) + k] * y[k];
                }

                y[i] = s / l[(i * n) + i];
            }

            var x = new double[n];
            for (var i = n - 1; i >= 0; i--)
            {
                var s = y[i];
                for (var k = i + 1; k < n; k++)
                {
                    s -= l[(k * n) + i] * x[k];
                }

                x[i] = s / l[(i * n) + i];
            }

            return x;
        }
    }
}
