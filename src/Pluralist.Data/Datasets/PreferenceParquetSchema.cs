using Parquet.Schema;

namespace Pluralist.Data.Datasets;

/// <summary>
/// The columns of a Parquet preference dataset: Pick-a-Pic v2's names and types first (the ones
/// the Diffusion-DPO trainers read are <c>caption</c>, <c>jpg_0</c>, <c>jpg_1</c> and <c>label_0</c>),
/// then Pluralist's provenance. docs/datasets.md lists each column.
/// </summary>
public static class PreferenceParquetSchema
{
    // Pick-a-Pic v2 (yuvalkirstain/pickapic_v2): same names, same physical and logical types.
    public static readonly DataField<bool> AreDifferent = new("are_different", false);
    public static readonly DataField<string> BestImageUid = new("best_image_uid", true);
    public static readonly DataField<string> Caption = new("caption", true);
    public static readonly DataField<bool> HasLabel = new("has_label", false);
    public static readonly DataField<string> Image0Uid = new("image_0_uid", true);
    public static readonly DataField<string> Image1Uid = new("image_1_uid", true);
    public static readonly DataField<byte[]> Jpg0 = new("jpg_0", true);
    public static readonly DataField<byte[]> Jpg1 = new("jpg_1", true);
    public static readonly DataField<double> Label0 = new("label_0", false);
    public static readonly DataField<double> Label1 = new("label_1", false);
    public static readonly DataField<string> Model0 = new("model_0", true);
    public static readonly DataField<string> Model1 = new("model_1", true);
    public static readonly DataField<long?> UserId = new("user_id", true);

    // Pluralist's provenance.
    public static readonly DataField<string> Split = new("split", true);
    public static readonly DataField<long> PairId = new("pair_id", false);
    public static readonly DataField<long> PromptId = new("prompt_id", false);
    public static readonly DataField<long> Image0Id = new("image_0_id", false);
    public static readonly DataField<long> Image1Id = new("image_1_id", false);
    public static readonly DataField<string> Criterion = new("criterion", true);
    public static readonly DataField<double> SoftLabel = new("soft_label", false);
    public static readonly DataField<bool> TieResolved = new("tie_resolved", false);
    public static readonly DataField<double> Weight = new("weight", false);
    public static readonly DataField<string> Group = new("group", true);
    public static readonly DataField<long> SourceAnswer = new("element", false);
    public static readonly ListField SourceAnswers = new("source_answers", SourceAnswer);

    /// <summary>The whole schema, in column order.</summary>
    public static readonly ParquetSchema Schema = new(
        AreDifferent, BestImageUid, Caption, HasLabel, Image0Uid, Image1Uid, Jpg0, Jpg1, Label0, Label1, Model0, Model1, UserId,
        Split, PairId, PromptId, Image0Id, Image1Id, Criterion, SoftLabel, TieResolved, Weight, Group, SourceAnswers);

    /// <summary>Each column as a Hugging Face <c>datasets</c> feature (name, dtype), for the dataset card.</summary>
    public static readonly IReadOnlyList<(string Name, string Dtype)> Features =
    [
        ("are_different", "bool"), ("best_image_uid", "string"), ("caption", "string"), ("has_label", "bool"),
        ("image_0_uid", "string"), ("image_1_uid", "string"), ("jpg_0", "binary"), ("jpg_1", "binary"),
        ("label_0", "float64"), ("label_1", "float64"), ("model_0", "string"), ("model_1", "string"), ("user_id", "int64"),
        ("split", "string"), ("pair_id", "int64"), ("prompt_id", "int64"), ("image_0_id", "int64"), ("image_1_id", "int64"),
        ("criterion", "string"), ("soft_label", "float64"), ("tie_resolved", "bool"), ("weight", "float64"), ("group", "string"),
        ("source_answers", "sequence:int64"),
    ];
}
