using Pluralist.Core.Cleaning;
using Pluralist.Core.Model;
using static Pluralist.Core.Tests.Cleaning.RowFactory;

namespace Pluralist.Core.Tests.Cleaning;

public class RuleTests
{
    private static bool[] M(List<CleaningRow> rows, RuleConfig rule) => CleaningEngine.Match(rows, rule);

    [Fact]
    public void TooFastUsesTimePerAnsweredCriterionAndExactThresholdPasses()
    {
        var exact = Answer(1, 10, 3000, T0, 0.5, -0.2, 0.1);      // 1000 ms per answer
        var fast = Answer(1, 11, 2999, T0, 0.5, -0.2, 0.1);
        var twoAnswered = Answer(1, 12, 2999, T0, 0.5, null, 0.1); // 1499.5 ms per answered
        var rows = exact.Concat(fast).Concat(twoAnswered).ToList();
        var m = M(rows, Rule("too-fast", ("minMsPerAnswer", 1000)));
        Assert.Equal([false, false, false, true, true, true, false, false, false], m);
    }

    [Fact]
    public void TooFastServerClockAndMissingDuration()
    {
        var rows = Answer(1, 10, 5000, T0, 0.5);
        rows = [rows[0] with { ServerMs = 500 }, .. Answer(1, 11, 5000, T0, 0.5).Select(r => r with { ClientMs = null, ServerMs = null })];
        var client = M(rows, Rule("too-fast"));
        var server = M(rows, Rule("too-fast") with { Clock = "server" });
        var either = M(rows, Rule("too-fast") with { Clock = "either" });
        Assert.Equal([false, false], client);
        Assert.Equal([true, false], server);
        Assert.Equal([true, false], either);
    }

    [Fact]
    public void StraightLineRunAtExactLengthAndOneShort()
    {
        var rows = new List<CleaningRow>();
        for (var i = 0; i < 4; i++)
        {
            rows.AddRange(Answer(1, 10 + i, 9000, T0.AddMinutes(i), 0.7, 0.7, 0.7)); // run of 12
        }

        rows.AddRange(Answer(1, 20, 9000, T0.AddMinutes(10), -0.3));
        for (var i = 0; i < 11; i++)
        {
            rows.AddRange(Answer(2, 10 + i, 9000, T0.AddMinutes(i), 0.4)); // run of 11
        }

        rows.AddRange(Answer(2, 30, 9000, T0.AddMinutes(30), 0.1));
        var m = M(rows, Rule("straight-line", ("minRun", 12), ("minAnswers", 0)));
        Assert.Equal(12, m.Take(12).Count(x => x));
        Assert.False(m[12]);
        Assert.DoesNotContain(true, m.Skip(13));
    }

    [Fact]
    public void StraightLineNearZeroVarianceDropsAllAnswersOfParticipant()
    {
        var rows = new List<CleaningRow>();
        for (var i = 0; i < 5; i++)
        {
            rows.AddRange(Answer(1, 10 + i, 9000, T0.AddMinutes(i), 0.50 + (i % 2 * 0.01), 0.5));
        }

        var m = M(rows, Rule("straight-line", ("minRun", 0), ("minAnswers", 10), ("maxStdDev", 0.02)));
        Assert.All(m, Assert.True);
        var tooFew = M(rows, Rule("straight-line", ("minRun", 0), ("minAnswers", 11), ("maxStdDev", 0.02)));
        Assert.All(tooFew, Assert.False);
    }

    [Fact]
    public void AllNeutralSessionIsDroppedButMixedAndEmptyAreNot()
    {
        var neutral = Answer(1, 10, 0.0, 0.0).Concat(Answer(1, 11, 0.0, null)).ToList();
        var mixed = Answer(2, 10, 0.0, 0.0).Concat(Answer(2, 11, 0.0, 0.1)).ToList();
        var unanswered = Answer(3, 10, null, null);
        var rows = neutral.Concat(mixed).Concat(unanswered).ToList();
        var m = M(rows, Rule("all-neutral"));
        Assert.Equal([true, true, true, true, false, false, false, false, false, false], m);
        Assert.Empty(M([], Rule("all-neutral")));
    }

    [Fact]
    public void AttentionFailRateAboveThresholdDropsTheBatchOnly()
    {
        static List<CleaningRow> Check(long p, long batch, double score) =>
            Answer(p, 90, score, score).Select(r => r with { PairKind = PairKind.AttentionCheck, ExpectedPreference = -1, BatchId = batch }).ToList();
        var rows = new List<CleaningRow>();
        rows.AddRange(Check(1, 1, -0.8)); // pass
        rows.AddRange(Check(1, 1, 0.8));  // fail: rate 0.5, exactly the threshold
        rows.AddRange(Answer(1, 10, 0.3).Select(r => r with { BatchId = 1 }));
        rows.AddRange(Check(2, 1, 0.8));  // fail: rate 1.0
        rows.AddRange(Check(2, 1, 0.0));  // neutral fails
        rows.AddRange(Answer(2, 10, 0.3).Select(r => r with { BatchId = 1 }));
        rows.AddRange(Answer(2, 11, 0.3).Select(r => r with { BatchId = 2 }));
        var m = M(rows, Rule("attention-check", ("maxFailRate", 0.5)));
        Assert.Equal([false, false, false, false, false, true, true, true, true, true, false], m);
    }

    [Fact]
    public void GoldDisagreementDropsAllOfTheParticipantsRows()
    {
        var rows = Answer(1, 90, -0.5, 0.5, 0.5).Select(r => r with { PairKind = PairKind.Gold, ExpectedPreference = -1 })
            .Concat(Answer(1, 10, 0.3).Select(r => r with { BatchId = 7 }))
            .Concat(Answer(2, 90, -0.5, -0.5, 0.5).Select(r => r with { PairKind = PairKind.Gold, ExpectedPreference = -1 })).ToList();
        var m = M(rows, Rule("gold-disagreement", ("maxDisagreeRate", 0.5)));
        Assert.Equal([true, true, true, true, false, false, false], m);
    }

    [Fact]
    public void GoldWithImage0OnRightIsOrientedBeforeComparing()
    {
        var rows = Answer(1, 90, 0.6).Select(r => r with { PairKind = PairKind.Gold, ExpectedPreference = -1, Image0OnLeft = false }).ToList();
        Assert.All(M(rows, Rule("gold-disagreement", ("maxDisagreeRate", 0))), Assert.False);
    }

    [Fact]
    public void DuplicateKeepsTheEarliestSubmission()
    {
        var first = Answer(1, 10, 9000, T0, 0.4, 0.2);
        var resent = first.Select(r => r with { AnnotationId = 999, AnswerId = r.AnswerId + 50, SubmittedAt = T0.AddSeconds(2) }).ToList();
        var samePairAgain = Answer(1, 10, 9000, T0.AddMinutes(1), -0.4);
        var other = Answer(2, 10, 9000, T0, 0.4);
        var m = M([.. resent, .. first, .. samePairAgain, .. other], Rule("duplicate"));
        Assert.Equal([true, true, false, false, true, false], m);
    }

    [Fact]
    public void FlaggedImagesAndReportThreshold()
    {
        var rows = new[]
        {
            Answer(1, 10, 0.1)[0],
            Answer(1, 11, 0.1)[0] with { ImageFlags = ImageFlags.Distorted },
            Answer(1, 12, 0.1)[0] with { ImageReports = 1 },
            Answer(1, 13, 0.1)[0] with { ImageReports = 2 },
        }.ToList();
        Assert.Equal([false, true, true, true], M(rows, Rule("flagged-image", ("minReports", 1))));
        Assert.Equal([false, true, false, true], M(rows, Rule("flagged-image", ("minReports", 2))));
        Assert.Equal([false, true, false, false], M(rows, Rule("flagged-image", ("minReports", 0))));
    }

    [Fact]
    public void OutsideWindowBoundsAreInclusive()
    {
        var opens = T0;
        var closes = T0.AddHours(1);
        CleaningRow At(DateTimeOffset t) => Answer(1, 10, 9000, t, 0.2)[0] with { BatchOpensAt = opens, BatchClosesAt = closes };
        var rows = new List<CleaningRow> { At(opens), At(closes), At(opens.AddTicks(-1)), At(closes.AddTicks(1)), Answer(1, 11, 0.2)[0] };
        Assert.Equal([false, false, true, true, false], M(rows, Rule("outside-window")));
    }

    [Fact]
    public void WithdrawnOnlyWithDeletionPolicy()
    {
        var keep = Answer(1, 10, 0.2)[0] with { WithdrawnAt = T0, WithdrawalPolicy = WithdrawalPolicy.KeepAnnotations };
        var delete = Answer(2, 10, 0.2)[0] with { WithdrawnAt = T0, WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations };
        var active = Answer(3, 10, 0.2)[0] with { WithdrawalPolicy = WithdrawalPolicy.DeleteAnnotations };
        Assert.Equal([false, true, false], M([keep, delete, active], Rule("withdrawn")));
    }

    [Fact]
    public void EngineRecordsFirstDroppingRuleAndNeverDeletes()
    {
        var rows = Answer(1, 10, 100, T0, 0.0, 0.0).Concat(Answer(2, 11, 9000, T0, 0.3)).ToList();
        var set = new CleaningRuleSet("t/1", [Rule("all-neutral"), Rule("too-fast")]);
        var run = CleaningEngine.Run(rows, set);
        Assert.Equal(3, run.Verdicts.Count);
        Assert.Equal("all-neutral", run.Verdicts[0].DroppedBy);
        Assert.Equal("ALL_NEUTRAL", run.Verdicts[0].ReasonCode);
        Assert.True(run.Verdicts[2].Kept);
        Assert.Equal([2, 0], run.Report.Stages.Select(s => s.Dropped));
        Assert.Equal([2, 2], run.Report.Stages.Select(s => s.Matched));
        Assert.Equal(1, run.Report.RowsOut);
        var html = CleaningReportHtml.Render(run.Report, "Study <1>");
        Assert.Contains("Study &lt;1&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<caption>", html, StringComparison.Ordinal);
    }
}
