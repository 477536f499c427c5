using System.Runtime.InteropServices;

namespace Pluralist.Tensors;

/// <summary>
/// Optional OpenBLAS <c>cblas_sgemm</c> through P/Invoke, loaded at first use when <c>libopenblas.so.0</c> (or
/// <c>libopenblas</c>) is installed. Off by default: the managed <see cref="Gemm"/> is always the fallback, and
/// only it guarantees results independent of the thread count.
/// </summary>
public static unsafe class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;
    private static readonly Lazy<nint> s_sgemm = new(Load);

    /// <summary>Whether the library and its <c>cblas_sgemm</c> export were found.</summary>
    public static bool IsAvailable => s_sgemm.Value != 0;

    /// <summary>When true and <see cref="IsAvailable"/>, matrix products go to OpenBLAS instead of the managed kernel.</summary>
    public static bool Enabled { get; set; }

    internal static bool Active => Enabled && IsAvailable;

    private static nint Load()
    {
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas", "openblas" })
        {
            if (NativeLibrary.TryLoad(name, out var lib) && NativeLibrary.TryGetExport(lib, "cblas_sgemm", out var fn))
            {
                return fn;
            }
        }

        return 0;
    }

    /// <summary>C (m, n) = op(A) op(B) (+ C when accumulating), row-major; lda/ldb are the stored row lengths.</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate)
    {
        var f = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)s_sgemm.Value;
        f(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, 1f, a, lda, b, ldb, accumulate ? 1f : 0f, c, ldc);
    }
}
