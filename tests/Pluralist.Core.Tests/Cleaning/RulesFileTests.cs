using Pluralist.Core.Cleaning;

namespace Pluralist.Core.Tests.Cleaning;

public class RulesFileTests
{
    [Fact]
    public void DefaultRulesParseInOrder()
    {
        var set = CleaningRuleSet.Default;
        Assert.Equal("livs-default/1", set.Version);
        // Every known rule but the optional rater-reliability (Dawid-Skene), which a study adds to its own rules file.
        Assert.Equal(CleaningRuleSet.Known.Keys.Where(k => k != "rater-reliability").Order(StringComparer.Ordinal), set.Rules.Select(r => r.Rule).Order(StringComparer.Ordinal));
        Assert.Equal("withdrawn", set.Rules[0].Rule);
        Assert.Equal(1000, set.Rules.Single(r => r.Rule == "too-fast").Parameters["minMsPerAnswer"]);
    }

    [Theory]
    [InlineData("{\"version\": \"v\",\n \"rules\": [ { \"rule\": \"too-fast\", } ] }", "line 2")]
    [InlineData("[]", "$: the rules file must be a JSON object")]
    [InlineData("{\"rules\": []}", "$.version")]
    [InlineData("{\"version\": \"v\"}", "$.rules: an array")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"too-fast\"}, {\"rule\": \"speeders\"} ]}", "$.rules[1].rule: unknown rule 'speeders'")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"too-fast\", \"parameters\": {\"minMs\": 3}} ]}", "$.rules[0].parameters.minMs: rule 'too-fast' has no parameter 'minMs'")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"too-fast\", \"parameters\": {\"minMsPerAnswer\": -3}} ]}", "$.rules[0].parameters.minMsPerAnswer: must be a non-negative number")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"too-fast\", \"parameters\": {\"minMsPerAnswer\": \"fast\"}} ]}", "minMsPerAnswer: must be a non-negative number, got \"fast\"")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"attention-check\", \"parameters\": {\"maxFailRate\": 1.5}} ]}", "a rate must be in [0, 1]")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"too-fast\", \"clock\": \"wall\"} ]}", "$.rules[0].clock")]
    [InlineData("{\"version\": \"v\", \"rules\": [ {\"rule\": \"duplicate\", \"weight\": 2} ]}", "$.rules[0].weight: unknown property")]
    public void BadFilesAreRejectedWithPathAndReason(string json, string expected)
    {
        var e = Assert.Throws<CleaningRulesException>(() => CleaningRuleSet.Parse(json, "rules.json"));
        Assert.StartsWith("rules.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
