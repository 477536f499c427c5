using System.Reflection;
using Pluralist.Analysis.Agreement;
using Pluralist.Analysis.Ranking;
using Pluralist.Analysis.Statistics;
using Pluralist.Core.Cleaning;

namespace Pluralist.Analysis.Tests;

/// <summary>
/// The study report runs these loops hundreds of thousands of times in one process (`pluralist analyze study`). Under tiered
/// compilation they ran at tier 0, then instrumented, until the background compiler caught up: in a profile of the report
/// (docs/performance.md, "Hot kernels compiled optimised at first call"), case study IV spent about 60% of its time in tier-0
/// code and the runtime helpers it calls. Marked AggressiveOptimization, they are compiled fully optimised at their first
/// call. The code is the same, and so are the results (the report's tables hash is unchanged; the tests of each kernel
/// compare it with its reference path bit for bit). This test keeps the mark from being dropped in a refactoring.
/// </summary>
public class HotKernelCompilationTests
{
    public static TheoryData<Type, string> Kernels() => new()
    {
        { typeof(BradleyTerry), "Solve" },
        { typeof(BradleyTerry), "Objective" },
        { typeof(BradleyTerry), "Derivatives" },
        { typeof(BradleyTerry), "CholeskySolve" },
        { typeof(BradleyTerry), "SolveLanes" },
        { typeof(BradleyTerry), "ObjectiveLanes" },
        { typeof(BradleyTerry), "DerivativesLanes" },
        { typeof(BradleyTerry), "CholeskySolveLanes" },
        { typeof(BradleyTerry), "ReplicatePercentile" },
        { typeof(BradleyTerry), "SortWithoutZerosOrNaNs" },
        { typeof(ReseedableRandom), "Reseed" },
        { typeof(ReseedableRandom), "Next" },
        { typeof(ReseedableRandom), "Sample" },
        { typeof(ReseedableRandomLanes), "Reseed" },
        { typeof(ReseedableRandomLanes), "Next" },
        { typeof(AgreementEngine), "ItemMoments" },
        { typeof(AgreementEngine), "ItemMomentsWithin" },
        { typeof(AgreementEngine), "ItemCoincidences" },
        { typeof(AgreementEngine), "ItemCoincidencesWithin" },
        { typeof(AgreementEngine), "LaneMoments" },
        { typeof(AgreementEngine), "LaneCoincidences" },
        { typeof(AgreementEngine), "LaneItemMoments" },
        { typeof(AgreementEngine), "LaneItemCoincidences" },
        { typeof(DawidSkene), "FitThree" },
        { typeof(DawidSkene), "FitLoop" },
    };

    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Hot_kernels_are_compiled_optimised_at_their_first_call(Type type, string name)
    {
        var methods = type.GetMethods(Any).Where(m => m.Name == name).ToList();
        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.True(m.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{type.Name}.{m.Name}"));
    }

    [Fact]
    public void Bootstrap_replicate_of_a_fit_and_the_rater_quality_replicates_are_compiled_optimised_at_their_first_call()
    {
        // Local functions of BradleyTerry's bootstrap (one replicate, four in lanes; compiled into a closure class) and the
        // rater-quality refits (a nested class).
        var replicate = typeof(BradleyTerry).GetNestedTypes(Any).Prepend(typeof(BradleyTerry))
            .SelectMany(t => t.GetMethods(Any)).Where(m => m.Name.Contains("g__Replicate|", StringComparison.Ordinal) || m.Name.Contains("g__ReplicateLanes|", StringComparison.Ordinal)).ToList();
        var refits = typeof(RaterQuality).GetNestedTypes(Any).SelectMany(t => t.GetMethods(Any)).Where(m => m.Name is "OverItems" or "OverRaters").ToList();
        Assert.Equal(2, replicate.Count);
        Assert.Equal(2, refits.Count);
        Assert.All(replicate.Concat(refits), m => Assert.True(m.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), m.Name));
    }

    [Theory]
    [InlineData("", "Observe")]
    [InlineData("", "SigmoidPair")]
    [InlineData("Model", "Observed")]
    [InlineData("Model", "MaxGradient")]
    [InlineData("Model", "LogLikelihood")]
    [InlineData("Model", "Assemble")]
    [InlineData("Model", "StepThresholds")]
    [InlineData("Model", "StepRater")]
    [InlineData("Model", "StepItem")]
    [InlineData("Model", "LineSearch")]
    [InlineData("Hessian", "Schur")]
    [InlineData("Dense", "Cholesky")]
    [InlineData("Dense", "SolveFactored")]
    public void Ordinal_rater_model_loops_are_compiled_optimised_at_their_first_call(string nested, string name)
    {
        // The rater-quality section fits the model twice in one process (docs/performance.md, "Rater quality without
        // repeated work, in vector lanes"); its label loops ran at tier 0 for much of a fit. Model and its Hessian are private nested classes.
        var type = nested switch
        {
            "" => typeof(OrdinalRaterModel),
            "Hessian" => typeof(OrdinalRaterModel).GetNestedType("Model", Any)!.GetNestedType("Hessian", Any)!,
            _ => typeof(OrdinalRaterModel).GetNestedType(nested, Any)!,
        };
        var methods = type.GetMethods(Any).Where(m => m.Name == name).ToList();
        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.True(m.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{type.Name}.{m.Name}"));
    }
}
