using System.Text.Json;
using Pluralist.Core.Model;

namespace Pluralist.Data;

/// <summary>
/// The JSON of a study's group quotas, as stored in <c>studies.group_quotas</c>:
/// <c>{"dimensions":[{"marker":"gender","values":["woman","man"]}],"perGroup":20,"unstratified":0}</c>.
/// </summary>
public static class QuotasJson
{
    public static string Write(GroupQuotas quotas)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        return JsonSerializer.Serialize(new Stored(quotas.Dimensions.Select(d => new StoredDimension(d.Marker, d.Values)).ToList(), quotas.PerGroup, quotas.Unstratified), JsonSerializerOptions.Web);
    }

    public static GroupQuotas Read(string json)
    {
        var stored = JsonSerializer.Deserialize<Stored>(json, JsonSerializerOptions.Web)
            ?? throw new InvalidDataException("group_quotas holds no quota settings");
        return new GroupQuotas
        {
            Dimensions = [.. (stored.Dimensions ?? []).Select(d => new QuotaDimension { Marker = d.Marker ?? "", Values = [.. d.Values ?? []] })],
            PerGroup = stored.PerGroup,
            Unstratified = stored.Unstratified,
        };
    }

    private sealed record Stored(List<StoredDimension>? Dimensions, int PerGroup, int Unstratified);

    private sealed record StoredDimension(string? Marker, List<string>? Values);
}
