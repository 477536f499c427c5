namespace Pluralist.Tensors;

public static partial class Functional
{
    /// <summary>Nearest-neighbour upsampling by an integer factor: (B, C, H, W) -> (B, C, H s, W s).</summary>
    public static Tensor UpsampleNearest2d(Tensor x, int scale)
    {
        using var op = Profiler.Op("upsample nearest");
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || scale < 1)
        {
            Throw.Argument("upsampling needs (B, C, H, W) and a factor of at least 1");
        }

        int bc = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = TensorScope.Output(bc * h * w * scale * scale);
        UpsampleKernel.Forward(x.Data, y, bc, h, w, scale);
        return Autograd.Record(new Tensor(y, x.Shape[0], x.Shape[1], h * scale, w * scale), [x], g =>
        {
            var gx = TensorPool.Rent(x.Numel);
            UpsampleKernel.Backward(g, gx, bc, h, w, scale);
            x.AccumulateGrad(gx, owned: true);
        });
    }

    /// <summary>Average pooling with a square window and stride = kernel (no padding): (B, C, H, W) -> (B, C, H/k, W/k).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel)
    {
        using var op = Profiler.Op("avg pool");
        ArgumentNullException.ThrowIfNull(x);
        int bc = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int ho = h / kernel, wo = w / kernel;
        float inv = 1f / (kernel * kernel);
        var y = TensorScope.Output(bc * ho * wo);
        for (int p = 0; p < bc; p++)
        {
            for (int i = 0; i < ho; i++)
            {
                for (int j = 0; j < wo; j++)
                {
                    float s = 0;
                    for (int u = 0; u < kernel; u++)
                    {
                        for (int v = 0; v < kernel; v++)
                        {
                            s += x.Data[(((p * h) + (i * kernel) + u) * w) + (j * kernel) + v];
                        }
                    }

                    y[(((p * ho) + i) * wo) + j] = s * inv;
                }
            }
        }

        return Autograd.Record(new Tensor(y, x.Shape[0], x.Shape[1], ho, wo), [x], g =>
        {
            var gx = TensorPool.RentZeroed(x.Numel);
            for (int p = 0; p < bc; p++)
            {
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        float gv = g[(((p * ho) + i) * wo) + j] * inv;
                        for (int u = 0; u < kernel; u++)
                        {
                            for (int v = 0; v < kernel; v++)
                            {
                                gx[(((p * h) + (i * kernel) + u) * w) + (j * kernel) + v] += gv;
                            }
                        }
                    }
                }
            }

            x.AccumulateGrad(gx, owned: true);
        });
    }
}
