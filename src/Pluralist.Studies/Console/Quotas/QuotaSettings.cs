using Pluralist.Core.Model;

namespace Pluralist.Studies.Console.Quotas;

/// <summary>Quota settings as the JSON API reads and writes them.</summary>
public sealed record QuotaSettings(IReadOnlyList<QuotaDimensionSettings>? Dimensions, int PerGroup, int Unstratified)
{
    public static QuotaSettings Of(GroupQuotas q)
    {
        ArgumentNullException.ThrowIfNull(q);
        return new([.. q.Dimensions.Select(d => new QuotaDimensionSettings(d.Marker, [.. d.Values]))], q.PerGroup, q.Unstratified);
    }

    public GroupQuotas ToQuotas() => new()
    {
        Dimensions = [.. (Dimensions ?? []).Select(d => new QuotaDimension { Marker = d.Marker?.Trim() ?? "", Values = [.. (d.Values ?? []).Select(v => v?.Trim() ?? "")] })],
        PerGroup = PerGroup,
        Unstratified = Unstratified,
    };
}
