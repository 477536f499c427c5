namespace Pluralist.Web.Shared;

/// <summary>One form field as the <c>_Field</c> partial shows it.</summary>
public sealed record FieldModel(string Id, string Label, string Type, string? Value = null, string? Hint = null, string? Error = null, string? Autocomplete = null, string? InputMode = null);
