namespace Pluralist.Data.Imports;

/// <summary>What a path names, without following a link at its last component.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,

    /// <summary>A device, pipe or socket: never read by an import (opening a pipe would wait for a writer).</summary>
    Special,
}
