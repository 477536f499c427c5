namespace Pluralist.Tensors;

internal static class Throw
{
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Argument(string message) => throw new ArgumentException(message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}
