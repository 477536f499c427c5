using Pluralist.Core.Model;
using Pluralist.Studies.Participation;

namespace Pluralist.Web.Shared;

/// <summary>The identity questions of a study with what the participant has stored.</summary>
public sealed record MarkersModel(IReadOnlyList<string> Markers, IReadOnlyList<IdentityAnswer> Answers)
{
    /// <summary>Reads the marker fields of a posted form.</summary>
    public static List<MarkerInput> Read(IFormCollection form, IEnumerable<string> markers)
    {
        ArgumentNullException.ThrowIfNull(form);
        return markers.Select(m => new MarkerInput(
            m,
            form[$"consent-{m}"] == "true",
            form[$"value-{m}"].ToString(),
            form[$"prefer-not-{m}"] == "true")).ToList();
    }
}
