using System.Text.Json;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>
/// The JSON of a study's panel settings, as stored in <c>studies.panel</c> and written in <c>study.json</c>:
/// <c>{"participantParameter":"PROLIFIC_PID","parameters":["STUDY_ID","SESSION_ID"],"exits":{"completed":{"code":"C1","redirectUrl":"https://…"}}}</c>.
/// </summary>
public static class PanelJson
{
    public static string Write(PanelSettings panel)
    {
        ArgumentNullException.ThrowIfNull(panel);
        return JsonSerializer.Serialize(ToStored(panel), JsonSerializerOptions.Web);
    }

    /// <summary>Reads stored settings; an unknown outcome token is an error naming it.</summary>
    public static PanelSettings Read(string json)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json, JsonSerializerOptions.Web)
            ?? throw new InvalidDataException("panel holds no panel settings");
        return FromStored(stored, at => throw new InvalidDataException($"panel: {at}"));
    }

    /// <summary>Writes the settings as a JSON value at the writer's position.</summary>
    public static void Write(Utf8JsonWriter writer, PanelSettings panel)
    {
        ArgumentNullException.ThrowIfNull(writer);
        JsonSerializer.Serialize(writer, ToStored(panel), JsonSerializerOptions.Web);
    }

    /// <summary>Reads settings from a JSON element; each problem (unknown outcome, wrong shape) goes to <paramref name="error"/> with its path.</summary>
    public static PanelSettings? Read(JsonElement element, string path, Action<string, string> error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Stored? stored;
        try
        {
            stored = element.Deserialize<Stored>(JsonSerializerOptions.Web);
        }
        catch (JsonException e)
        {
            error(path, $"is not panel settings ({e.Message})");
            return null;
        }

        if (stored is null)
        {
            return null;
        }

        var panel = FromStored(stored, token => error(path + ".exits", $"unknown outcome '{token}' (use completed, screened-out, withdrawn or no-work)"));
        foreach (var (field, message) in panel.Problems())
        {
            error(path + "." + field, message);
        }

        return panel;
    }

    private static Stored ToStored(PanelSettings panel) => new(
        panel.ParticipantParameter,
        [.. panel.OtherParameters],
        panel.Exits.OrderBy(kv => kv.Key).ToDictionary(kv => PanelSettings.OutcomeToken(kv.Key), kv => (StoredExit?)new StoredExit(kv.Value.Code, kv.Value.RedirectUrl)));

    private static PanelSettings FromStored(Stored stored, Action<string> unknownOutcome)
    {
        var panel = new PanelSettings
        {
            ParticipantParameter = stored.ParticipantParameter ?? "",
            OtherParameters = [.. stored.Parameters ?? []],
        };
        foreach (var (token, exit) in stored.Exits ?? [])
        {
            if (!PanelSettings.TryParseOutcome(token, out var outcome))
            {
                unknownOutcome(token);
                continue;
            }

            panel.Exits[outcome] = new PanelExit { Code = exit?.Code, RedirectUrl = exit?.RedirectUrl };
        }

        return panel;
    }

    private sealed record Stored(string? ParticipantParameter, List<string>? Parameters, Dictionary<string, StoredExit?>? Exits);

    private sealed record StoredExit(string? Code, string? RedirectUrl);
}
