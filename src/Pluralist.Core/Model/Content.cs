namespace Pluralist.Core.Model;

/// <summary>A workshop scenario: a typology, amenities and a place that prompts are written for.</summary>
public sealed class Scenario
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string Name { get; set; } = "";

    public string? Typology { get; set; }

    public string? Amenities { get; set; }

    public string? Location { get; set; }
}

/// <summary>A text prompt with its provenance.</summary>
public sealed class Prompt
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public string Text { get; set; } = "";

    public string Language { get; set; } = "en";

    public PromptSource Source { get; set; } = PromptSource.Human;

    /// <summary>The prompt this one was derived from (augmentation), if any.</summary>
    public long? ParentPromptId { get; set; }

    public long? ScenarioId { get; set; }

    /// <summary>Id in the system the prompt came from (an import), if any.</summary>
    public string? ExternalId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A generated image with the parameters that made it.</summary>
public sealed class Image
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public long PromptId { get; set; }

    /// <summary>Generator name and version (<c>world/1</c>, <c>embedded-diffusion/base</c>, <c>a1111</c>).</summary>
    public string Generator { get; set; } = "";

    public long? Seed { get; set; }

    public double? Guidance { get; set; }

    public int? Steps { get; set; }

    /// <summary>The generator's parameters as a JSON object (sampler, model, …), as its manifest recorded them.</summary>
    public string? Parameters { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>SHA-256 of the file's bytes, hex; null for an imported reference whose file is absent.</summary>
    public string? ContentHash { get; set; }

    /// <summary>Path relative to the data directory's image store (or an external reference).</summary>
    public string StoragePath { get; set; } = "";

    public ImageFlags Flags { get; set; }

    public string? ExternalId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Two images of one prompt in canonical order (image_0, image_1).</summary>
public sealed class Pair
{
    public long Id { get; set; }

    public long StudyId { get; set; }

    public long? BatchId { get; set; }

    public long Image0Id { get; set; }

    public long Image1Id { get; set; }

    public PairKind Kind { get; set; } = PairKind.Annotation;

    /// <summary>For gold and attention-check pairs: the expected preference, oriented to image_0 (-1) / image_1 (+1).</summary>
    public double? ExpectedPreference { get; set; }

    public string? ExternalId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
