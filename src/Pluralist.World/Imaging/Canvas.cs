namespace Pluralist.World.Imaging;

/// <summary>An opaque or translucent colour, 8 bits per channel, not premultiplied.</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A = 255);

/// <summary>
/// Anti-aliased 2D drawing on an <see cref="RgbaImage"/>: polygons filled with the even-odd rule,
/// coverage exact along x and sampled on four sub-scanlines along y, composited source-over.
/// </summary>
public sealed class Canvas
{
    private const int SubRows = 4;
    private readonly float[] _coverage;
    private readonly List<float> _crossings = [];

    public Canvas(RgbaImage target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = target;
        _coverage = new float[target.Width + 2];
    }

    public RgbaImage Target { get; }

    /// <summary>Fills the whole image with one colour (no blending).</summary>
    public void Clear(Rgba colour)
    {
        byte[] p = Target.Pixels;
        for (int i = 0; i < p.Length; i += 4)
        {
            p[i] = colour.R;
            p[i + 1] = colour.G;
            p[i + 2] = colour.B;
            p[i + 3] = colour.A;
        }
    }

    /// <summary>Fills an axis-aligned rectangle given by its corner and size, in pixels.</summary>
    public void FillRect(float x, float y, float width, float height, Rgba colour) =>
        FillPolygon([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], colour);

    /// <summary>Fills an ellipse centred at (cx, cy).</summary>
    public void FillEllipse(float cx, float cy, float rx, float ry, Rgba colour)
    {
        int n = Math.Clamp((int)(MathF.Max(rx, ry) * 1.5f) + 12, 12, 256);
        var pts = new (float X, float Y)[n];
        for (int i = 0; i < n; i++)
        {
            float t = i * MathF.Tau / n;
            pts[i] = (cx + (rx * MathF.Cos(t)), cy + (ry * MathF.Sin(t)));
        }

        FillPolygon(pts, colour);
    }

    /// <summary>Draws a straight stroke of the given width with flat ends.</summary>
    public void Line(float x0, float y0, float x1, float y1, float width, Rgba colour)
    {
        float dx = x1 - x0, dy = y1 - y0;
        float len = MathF.Sqrt((dx * dx) + (dy * dy));
        if (len == 0)
        {
            return;
        }

        float nx = -dy / len * width / 2, ny = dx / len * width / 2;
        FillPolygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], colour);
    }

    /// <summary>Fills a closed polygon (even-odd rule) with anti-aliased edges.</summary>
    public void FillPolygon(IReadOnlyList<(float X, float Y)> points, Rgba colour)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 3 || colour.A == 0)
        {
            return;
        }

        float minY = float.MaxValue, maxY = float.MinValue;
        foreach (var (_, py) in points)
        {
            minY = MathF.Min(minY, py);
            maxY = MathF.Max(maxY, py);
        }

        if (!float.IsFinite(minY) || !float.IsFinite(maxY))
        {
            throw new ArgumentException("Polygon coordinates must be finite.", nameof(points));
        }

        int w = Target.Width;
        int yStart = Math.Max(0, (int)MathF.Floor(minY));
        int yEnd = Math.Min(Target.Height - 1, (int)MathF.Ceiling(maxY));
        for (int y = yStart; y <= yEnd; y++)
        {
            Array.Clear(_coverage);
            int lo = int.MaxValue, hi = -1;
            for (int s = 0; s < SubRows; s++)
            {
                float sy = y + ((s + 0.5f) / SubRows);
                _crossings.Clear();
                for (int i = 0, j = points.Count - 1; i < points.Count; j = i++)
                {
                    var (xi, yi) = points[i];
                    var (xj, yj) = points[j];
                    if ((yi <= sy) != (yj <= sy))
                    {
                        _crossings.Add(xi + ((sy - yi) / (yj - yi) * (xj - xi)));
                    }
                }

                _crossings.Sort();
                for (int k = 0; k + 1 < _crossings.Count; k += 2)
                {
                    float a = Math.Clamp(_crossings[k], 0, w), b = Math.Clamp(_crossings[k + 1], 0, w);
                    if (b <= a)
                    {
                        continue;
                    }

                    int ia = (int)a, ib = Math.Min((int)b, w - 1);
                    lo = Math.Min(lo, ia);
                    hi = Math.Max(hi, ib);
                    if (ia == ib)
                    {
                        _coverage[ia] += (b - a) / SubRows;
                        continue;
                    }

                    _coverage[ia] += (ia + 1 - a) / SubRows;
                    for (int x = ia + 1; x < ib; x++)
                    {
                        _coverage[x] += 1f / SubRows;
                    }

                    if (ib < w)
                    {
                        _coverage[ib] += (b - ib) / SubRows;
                    }
                }
            }

            for (int x = lo; x <= hi; x++)
            {
                float c = MathF.Min(1f, _coverage[x]);
                if (c > 0)
                {
                    Blend(x, y, colour, c);
                }
            }
        }
    }

    private void Blend(int x, int y, Rgba c, float coverage)
    {
        byte[] p = Target.Pixels;
        int i = ((y * Target.Width) + x) * 4;
        float sa = c.A / 255f * coverage;
        float da = p[i + 3] / 255f;
        float oa = sa + (da * (1 - sa));
        if (oa <= 0)
        {
            return;
        }

        p[i] = (byte)MathF.Round(((c.R * sa) + (p[i] * da * (1 - sa))) / oa);
        p[i + 1] = (byte)MathF.Round(((c.G * sa) + (p[i + 1] * da * (1 - sa))) / oa);
        p[i + 2] = (byte)MathF.Round(((c.B * sa) + (p[i + 2] * da * (1 - sa))) / oa);
        p[i + 3] = (byte)MathF.Round(oa * 255);
    }
}
