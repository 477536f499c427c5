using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluralist.Diffusion;

/// <summary>The whole embedded text-to-image model's configuration, stored as JSON next to (and inside) the weights.</summary>
public sealed record DiffusionModelConfig
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, WriteIndented = true };

    [JsonPropertyName("unet")]
    public UNetConfig UNet { get; init; } = new();

    public TextEncoderConfig TextEncoder { get; init; } = new();

    public ScheduleConfig Schedule { get; init; } = new();

    /// <summary>Seed of the weight initialisation.</summary>
    public ulong InitSeed { get; init; } = 1;

    /// <summary>The default 32x32 model.</summary>
    public static DiffusionModelConfig Default32 => new();

    /// <summary>The 64x64 option: one more level, attention still at 8x8 (and 16x16).</summary>
    public static DiffusionModelConfig Default64 => new() { UNet = new UNetConfig { ImageSize = 64, ChannelMultipliers = [1, 2, 2, 2], AttentionResolutions = [8, 16] } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static DiffusionModelConfig FromJson(string json)
    {
        var c = JsonSerializer.Deserialize<DiffusionModelConfig>(json, Json) ?? throw new FormatException("empty model configuration");
        c.Validate();
        return c;
    }

    /// <summary>Throws with the field name when the configuration cannot build a model.</summary>
    public void Validate()
    {
        var u = UNet;
        static void Need(bool ok, string field, string why)
        {
            if (!ok)
            {
                throw new FormatException($"{field}: {why}");
            }
        }

        Need(u.ImageSize > 0 && u.ImageSize % (1 << (u.ChannelMultipliers.Length - 1)) == 0, "unet.imageSize", "must be divisible by 2^(levels - 1)");
        Need(u.ChannelMultipliers.Length >= 1 && u.ChannelMultipliers.All(m => m > 0), "unet.channelMultipliers", "needs at least one positive value");
        Need(u.BaseChannels > 0 && u.ChannelMultipliers.All(m => u.BaseChannels * m % u.GroupNormGroups == 0), "unet.groupNormGroups", "must divide every level's channels");
        Need(u.ChannelMultipliers.All(m => u.BaseChannels * m % u.Heads == 0), "unet.heads", "must divide every level's channels");
        Need(u.ResBlocksPerLevel >= 1, "unet.resBlocksPerLevel", "at least 1");
        Need(u.ContextDim == TextEncoder.Width, "unet.contextDim", "must equal textEncoder.width");
        Need(TextEncoder.Width % TextEncoder.Heads == 0, "textEncoder.heads", "must divide the width");
        Need(TextEncoder.MaxLength >= 2 && TextEncoder.Layers >= 0, "textEncoder.maxLength", "at least 2");
        Need(Schedule.TrainSteps >= 2, "schedule.trainSteps", "at least 2");
    }
}
