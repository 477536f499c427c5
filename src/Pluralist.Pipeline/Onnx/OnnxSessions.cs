using Microsoft.ML.OnnxRuntime;

namespace Pluralist.Pipeline.Onnx;

/// <summary>Where ONNX Runtime runs a model.</summary>
public enum ExecutionDevice
{
    /// <summary>ONNX Runtime's CPU execution provider (the default).</summary>
    Cpu,

    /// <summary>The CUDA execution provider: needs the Microsoft.ML.OnnxRuntime.Gpu build and an NVIDIA GPU.</summary>
    Cuda,
}

/// <summary>Names of <see cref="ExecutionDevice"/> on the command line and in files.</summary>
public static class ExecutionDevices
{
    public static IReadOnlyList<string> All { get; } = ["cpu", "cuda"];

    public static bool TryParse(string? text, out ExecutionDevice device)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "cpu":
                device = ExecutionDevice.Cpu;
                return true;
            case "cuda":
            case "gpu":
                device = ExecutionDevice.Cuda;
                return true;
            default:
                device = ExecutionDevice.Cpu;
                return false;
        }
    }
}

/// <summary>The device that was asked for cannot be used; the message says why and what to install.</summary>
public sealed class ExecutionDeviceException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>Creates ONNX Runtime sessions on the requested execution provider and says which one it is.</summary>
public static class OnnxSessions
{
    public const string CpuProvider = "CPUExecutionProvider";
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>Execution providers compiled into the ONNX Runtime build this program carries.</summary>
    public static IReadOnlyList<string> AvailableProviders() => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Opens <paramref name="path"/> on <paramref name="device"/>. CUDA is used only when asked for; when this build has no
    /// CUDA provider (the CPU package), or the provider cannot start (no GPU, no CUDA or cuDNN libraries), the
    /// <see cref="ExecutionDeviceException"/> says so rather than silently running on the CPU. Returns the provider name.
    /// </summary>
    public static (InferenceSession Session, string Provider) Create(string path, ExecutionDevice device, int? intraOpThreads = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        try
        {
            if (intraOpThreads is { } n)
            {
                options.IntraOpNumThreads = n;
            }

            string provider = CpuProvider;
            if (device == ExecutionDevice.Cuda)
            {
                var available = AvailableProviders();
                if (!available.Contains(CudaProvider))
                {
                    throw new ExecutionDeviceException(
                        $"--device cuda: this build of ONNX Runtime has no CUDA execution provider (it has {string.Join(", ", available)}). " +
                        "Build with -p:OnnxRuntimeGpu=true (the Microsoft.ML.OnnxRuntime.Gpu 1.32.0 package) and run on a machine with an NVIDIA GPU and the CUDA 13 and cuDNN 9 libraries; or use --device cpu.");
                }

                try
                {
                    options.AppendExecutionProvider_CUDA(0);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new ExecutionDeviceException($"--device cuda: the CUDA execution provider could not start ({ex.Message}); is there an NVIDIA GPU with the CUDA 13 and cuDNN 9 libraries (libcublasLt.so.13, libcudnn.so.9)? Use --device cpu to run on the CPU.", ex);
                }

                provider = CudaProvider;
            }

            InferenceSession session;
            try
            {
                session = new InferenceSession(path, options);
            }
            catch (OnnxRuntimeException ex) when (device == ExecutionDevice.Cuda && ex.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase))
            {
                throw new ExecutionDeviceException($"--device cuda: {path}: the CUDA execution provider failed ({ex.Message}). Use --device cpu to run on the CPU.", ex);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new InvalidDataException($"{path}: ONNX Runtime cannot load this model ({ex.Message})", ex);
            }

            return (session, provider);
        }
        finally
        {
            // The session keeps what it needs; the options object holds native memory of its own.
            options.Dispose();
        }
    }
}
