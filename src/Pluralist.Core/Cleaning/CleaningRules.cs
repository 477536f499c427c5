using System.Globalization;
using System.Text.Json;

namespace Pluralist.Core.Cleaning;

/// <summary>A rule as configured: its name, reason code and parameters (defaults filled in); <paramref name="Model"/> is the rater model of
/// <c>rater-reliability</c> (<c>dawid-skene</c>, the default, or <c>ordinal</c>).</summary>
public sealed record RuleConfig(string Rule, string ReasonCode, IReadOnlyDictionary<string, double> Parameters, string? Clock = null, string? Model = null);

/// <summary>An ordered, versioned set of cleaning rules, read from a study's rules file.</summary>
public sealed record CleaningRuleSet(string Version, IReadOnlyList<RuleConfig> Rules)
{
    /// <summary>Every known rule, its reason code and its parameters with their defaults.</summary>
    public static readonly IReadOnlyDictionary<string, (string Reason, IReadOnlyDictionary<string, double> Defaults)> Known =
        new Dictionary<string, (string, IReadOnlyDictionary<string, double>)>
        {
            ["withdrawn"] = ("WITHDRAWN_DELETE", new Dictionary<string, double>()),
            ["duplicate"] = ("DUPLICATE", new Dictionary<string, double>()),
            ["outside-window"] = ("OUTSIDE_WINDOW", new Dictionary<string, double>()),
            ["flagged-image"] = ("FLAGGED_IMAGE", new Dictionary<string, double> { ["minReports"] = 1 }),
            ["too-fast"] = ("TOO_FAST", new Dictionary<string, double> { ["minMsPerAnswer"] = 1000 }),
            ["straight-line"] = ("STRAIGHT_LINE", new Dictionary<string, double> { ["minRun"] = 12, ["minAnswers"] = 15, ["maxStdDev"] = 0.02 }),
            ["all-neutral"] = ("ALL_NEUTRAL", new Dictionary<string, double> { ["minAnswers"] = 1 }),
            ["attention-check"] = ("ATTENTION_FAILED", new Dictionary<string, double> { ["maxFailRate"] = 0.5, ["minChecks"] = 1 }),
            ["gold-disagreement"] = ("GOLD_DISAGREE", new Dictionary<string, double> { ["maxDisagreeRate"] = 0.5, ["minGold"] = 1 }),
            ["rater-reliability"] = ("LOW_RELIABILITY", new Dictionary<string, double> { ["minReliability"] = 0.5, ["minItems"] = 10 }),
        };

    /// <summary>The LIVS-like default cleaning, also shipped as docs/cleaning.rules.json.</summary>
    public const string DefaultJson = """
        {
          "version": "livs-default/1",
          "rules": [
            { "rule": "withdrawn" },
            { "rule": "duplicate" },
            { "rule": "outside-window" },
            { "rule": "flagged-image", "parameters": { "minReports": 1 } },
            { "rule": "too-fast", "clock": "client", "parameters": { "minMsPerAnswer": 1000 } },
            { "rule": "straight-line", "parameters": { "minRun": 12, "minAnswers": 15, "maxStdDev": 0.02 } },
            { "rule": "all-neutral", "parameters": { "minAnswers": 1 } },
            { "rule": "attention-check", "parameters": { "maxFailRate": 0.5, "minChecks": 1 } },
            { "rule": "gold-disagreement", "parameters": { "maxDisagreeRate": 0.5, "minGold": 1 } }
          ]
        }
        """;

    /// <summary>The default rule set.</summary>
    public static CleaningRuleSet Default => Parse(DefaultJson, "default rules");

    /// <summary>Reads a rules file; throws <see cref="CleaningRulesException"/> naming the source, JSON path and line.</summary>
    public static CleaningRuleSet Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CleaningRulesException($"{source}: invalid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {e.Message}", e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(source, "$", "the rules file must be a JSON object with \"version\" and \"rules\"");
            }

            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
            {
                throw Fail(source, "$.version", "a non-empty string version is required");
            }

            if (!root.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array)
            {
                throw Fail(source, "$.rules", "an array of rules is required");
            }

            var list = new List<RuleConfig>();
            var i = 0;
            foreach (var r in rules.EnumerateArray())
            {
                list.Add(ParseRule(r, source, $"$.rules[{i}]"));
                i++;
            }

            return new CleaningRuleSet(v.GetString()!, list);
        }
    }

    private static RuleConfig ParseRule(JsonElement r, string source, string path)
    {
        if (r.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, path, "each rule must be an object");
        }

        if (!r.TryGetProperty("rule", out var n) || n.ValueKind != JsonValueKind.String)
        {
            throw Fail(source, path + ".rule", "a rule name is required");
        }

        var name = n.GetString()!;
        if (!Known.TryGetValue(name, out var known))
        {
            throw Fail(source, path + ".rule", $"unknown rule '{name}'; known rules: {string.Join(", ", Known.Keys)}");
        }

        foreach (var p in r.EnumerateObject())
        {
            if (p.Name is not ("rule" or "parameters" or "clock" or "reason" or "model"))
            {
                throw Fail(source, $"{path}.{p.Name}", $"unknown property '{p.Name}' on rule '{name}'");
            }
        }

        var parameters = new Dictionary<string, double>(known.Defaults);
        if (r.TryGetProperty("parameters", out var ps))
        {
            if (ps.ValueKind != JsonValueKind.Object)
            {
                throw Fail(source, path + ".parameters", "parameters must be an object");
            }

            foreach (var p in ps.EnumerateObject())
            {
                var ppath = $"{path}.parameters.{p.Name}";
                if (!known.Defaults.ContainsKey(p.Name))
                {
                    throw Fail(source, ppath, $"rule '{name}' has no parameter '{p.Name}'" +
                        (known.Defaults.Count == 0 ? " (it takes none)" : $"; it takes {string.Join(", ", known.Defaults.Keys)}"));
                }

                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out var d) || double.IsNaN(d) || d < 0)
                {
                    throw Fail(source, ppath, $"must be a non-negative number, got {p.Value.GetRawText()}");
                }

                if ((p.Name.EndsWith("Rate", StringComparison.Ordinal) || p.Name == "minReliability") && d > 1)
                {
                    throw Fail(source, ppath, $"a rate must be in [0, 1], got {d.ToString(CultureInfo.InvariantCulture)}");
                }

                parameters[p.Name] = d;
            }
        }

        string? clock = null;
        if (r.TryGetProperty("clock", out var c))
        {
            clock = c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (name != "too-fast" || clock is not ("client" or "server" or "either"))
            {
                throw Fail(source, path + ".clock", "clock applies to too-fast only and must be \"client\", \"server\" or \"either\"");
            }
        }
        else if (name == "too-fast")
        {
            clock = "client";
        }

        string? model = null;
        if (r.TryGetProperty("model", out var mo))
        {
            model = mo.ValueKind == JsonValueKind.String ? mo.GetString() : null;
            if (name != "rater-reliability" || model is not (RaterModels.DawidSkene or RaterModels.Ordinal))
            {
                throw Fail(source, path + ".model", $"model applies to rater-reliability only and must be \"{RaterModels.DawidSkene}\" or \"{RaterModels.Ordinal}\"");
            }
        }
        else if (name == "rater-reliability")
        {
            model = RaterModels.DawidSkene;
        }

        var reason = known.Reason;
        if (r.TryGetProperty("reason", out var rc))
        {
            if (rc.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(rc.GetString()))
            {
                throw Fail(source, path + ".reason", "reason must be a non-empty string");
            }

            reason = rc.GetString()!;
        }

        return new RuleConfig(name, reason, parameters, clock, model);
    }

    private static CleaningRulesException Fail(string source, string path, string message) =>
        new($"{source}: {path}: {message}");
}

/// <summary>The rater models the <c>rater-reliability</c> rule can use.</summary>
public static class RaterModels
{
    /// <summary><see cref="Cleaning.DawidSkene"/> on the sign of the oriented preference; reliability = accuracy.</summary>
    public const string DawidSkene = "dawid-skene";

    /// <summary><see cref="OrdinalRaterModel"/> on the binned slider (<see cref="OrdinalRaterModel.SliderCategory"/>); reliability = a|a| / (a² + π²/3).</summary>
    public const string Ordinal = "ordinal";
}

/// <summary>A rules file that cannot be used; the message names the file, the JSON path and the problem.</summary>
public sealed class CleaningRulesException : Exception
{
    public CleaningRulesException(string message)
        : base(message)
    {
    }

    public CleaningRulesException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CleaningRulesException()
    {
    }
}
