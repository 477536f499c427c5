using System.Globalization;
using Pluralist.World.Scenes;

namespace Pluralist.World.Prompts;

/// <summary>How a constraint restricts an attribute.</summary>
public enum ConstraintOp
{
    /// <summary>Exactly the value.</summary>
    Equal,

    /// <summary>At least the value (counts and numbers).</summary>
    AtLeast,

    /// <summary>At most the value (counts and numbers).</summary>
    AtMost,

    /// <summary>One of several values (choices).</summary>
    OneOf,
}

/// <summary>
/// A restriction of one scene attribute that a prompt word asks for: <c>lights&gt;=3</c>,
/// <c>access in ramp,ramp-and-stairs</c>, <c>graffiti=false</c>.
/// </summary>
public sealed record SceneConstraint(SceneAttribute Attribute, ConstraintOp Op, IReadOnlyList<double> Values)
{
    public double Value => Values[0];

    /// <summary>Whether the spec already satisfies the constraint.</summary>
    public bool IsSatisfiedBy(SceneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        double v = Attribute.Get(spec);
        return Op switch
        {
            ConstraintOp.Equal => Math.Abs(v - Value) < 1e-9,
            ConstraintOp.AtLeast => v >= Value - 1e-9,
            ConstraintOp.AtMost => v <= Value + 1e-9,
            _ => Values.Any(x => Math.Abs(v - x) < 1e-9),
        };
    }

    /// <summary>
    /// The spec changed as little as possible to satisfy the constraint. Where there is a choice of
    /// value, it is drawn at random among those that also satisfy <paramref name="alongside"/>
    /// (other constraints on the same attribute, so "stairs" and "no ramp" give stairs only), or
    /// among all allowed values when no value satisfies them all.
    /// </summary>
    public SceneSpec Apply(SceneSpec spec, Random random, IEnumerable<SceneConstraint>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (IsSatisfiedBy(spec))
        {
            return spec;
        }

        if (!Attribute.IsDiscrete)
        {
            double v = Op switch
            {
                ConstraintOp.AtLeast => Value + (random.NextDouble() * (Attribute.Max - Value)),
                ConstraintOp.AtMost => Attribute.Min + (random.NextDouble() * (Value - Attribute.Min)),
                _ => Values[random.Next(Values.Count)],
            };
            return Attribute.With(spec, v);
        }

        var allowed = Enumerable.Range((int)Attribute.Min, (int)(Attribute.Max - Attribute.Min) + 1)
            .Select(i => Attribute.With(spec, i))
            .Where(IsSatisfiedBy)
            .ToList();
        var others = (alongside ?? []).Where(o => o.Attribute == Attribute && !ReferenceEquals(o, this)).ToList();
        var both = allowed.Where(s => others.All(o => o.IsSatisfiedBy(s))).ToList();
        var pool = both.Count > 0 ? both : allowed;
        return pool.Count == 0 ? spec : pool[random.Next(pool.Count)];
    }

    /// <summary>The opposite request, for a negated word ("no cars", "sans escaliers"); null when there is none.</summary>
    public SceneConstraint? Negate() => Attribute.Kind switch
    {
        AttributeKind.Flag when Op == ConstraintOp.Equal => this with { Values = [1 - Value] },
        AttributeKind.Count or AttributeKind.Number when Op == ConstraintOp.AtLeast => this with { Op = ConstraintOp.AtMost, Values = [Attribute.Min] },
        AttributeKind.Count when Op == ConstraintOp.Equal && Value > Attribute.Min => this with { Op = ConstraintOp.AtMost, Values = [Attribute.Min] },
        AttributeKind.Choice => this with
        {
            Op = ConstraintOp.OneOf,
            Values = [.. Enumerable.Range(0, Attribute.ChoiceNames.Count).Select(i => (double)i).Where(i => !Values.Contains(i))],
        },
        _ => null,
    };

    public override string ToString() => Op switch
    {
        ConstraintOp.Equal => $"{Attribute.Name}={Attribute.Format(Value)}",
        ConstraintOp.AtLeast => $"{Attribute.Name}>={Attribute.Format(Value)}",
        ConstraintOp.AtMost => $"{Attribute.Name}<={Attribute.Format(Value)}",
        _ => $"{Attribute.Name} in {string.Join(",", Values.Select(Attribute.Format))}",
    };

    /// <summary>Parses <c>name=value</c>, <c>name&gt;=n</c>, <c>name&lt;=n</c> or <c>name in a,b</c>; errors name the attribute.</summary>
    public static SceneConstraint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        string[] parts;
        ConstraintOp op;
        if (text.Contains(">=", StringComparison.Ordinal))
        {
            parts = text.Split(">=", 2);
            op = ConstraintOp.AtLeast;
        }
        else if (text.Contains("<=", StringComparison.Ordinal))
        {
            parts = text.Split("<=", 2);
            op = ConstraintOp.AtMost;
        }
        else if (text.Contains(" in ", StringComparison.Ordinal))
        {
            parts = text.Split(" in ", 2);
            op = ConstraintOp.OneOf;
        }
        else if (text.Contains('=', StringComparison.Ordinal))
        {
            parts = text.Split('=', 2);
            op = ConstraintOp.Equal;
        }
        else
        {
            throw new SceneSpecException($"Constraint '{text}' has no operator; expected name=value, name>=n, name<=n or name in a,b.");
        }

        var attribute = SceneAttributes.Get(parts[0].Trim());
        var values = parts[1].Split(',').Select(v => ParseValue(attribute, v.Trim())).ToArray();
        var c = new SceneConstraint(attribute, op, values);
        foreach (double v in values)
        {
            attribute.Check(v);
        }

        return c;
    }

    private static double ParseValue(SceneAttribute a, string v)
    {
        switch (a.Kind)
        {
            case AttributeKind.Flag when v is "true" or "false":
                return v == "true" ? 1 : 0;
            case AttributeKind.Choice:
                int i = a.ChoiceNames.ToList().IndexOf(v);
                return i >= 0 ? i : throw new SceneSpecException(a.Name, $"'{v}' is not a value of {a.Name}; expected {a.RangeText}.");
            default:
                return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
                    ? d
                    : throw new SceneSpecException(a.Name, $"'{v}' is not a value of {a.Name}; expected {a.RangeText}.");
        }
    }
}
