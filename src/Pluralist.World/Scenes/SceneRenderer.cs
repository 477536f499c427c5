using Pluralist.World.Imaging;

namespace Pluralist.World.Scenes;

/// <summary>
/// Draws a <see cref="SceneSpec"/> in a flat illustrated style with a fixed layout: sky on top,
/// a path running to the horizon, a raised terrace on the left reached by a ramp and/or stairs,
/// seating on the right. The seed only moves people along the path. Same spec and seed, same pixels.
/// </summary>
public static class SceneRenderer
{
    public const int MinSize = 32;
    public const int MaxSize = 1024;
    private const float Horizon = 0.36f;

    /// <summary>Renders the scene to an RGBA image of the given size.</summary>
    public static RgbaImage Render(SceneSpec spec, int seed, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (width is < MinSize or > MaxSize || height is < MinSize or > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} is outside {MinSize}..{MaxSize} per side.");
        }

        var img = new RgbaImage(width, height);
        var c = new Canvas(img);
        var d = new Draw(c, width, height);
        bool dark = spec.TimeOfDay is TimeOfDay.Evening or TimeOfDay.Night;
        c.Clear(spec.TimeOfDay switch
        {
            TimeOfDay.Morning => new Rgba(176, 214, 240),
            TimeOfDay.Noon => new Rgba(120, 190, 245),
            TimeOfDay.Evening => new Rgba(210, 120, 90),
            _ => new Rgba(20, 24, 56),
        });
        Rgba ground = spec.Typology switch
        {
            Typology.Park or Typology.Schoolyard => new Rgba(96, 170, 80),
            Typology.Waterfront => new Rgba(60, 120, 200),
            Typology.CommercialBackAlley => new Rgba(120, 110, 100),
            Typology.ResidentialStreet or Typology.TransitStop => new Rgba(110, 110, 118),
            _ => new Rgba(200, 190, 170),
        };
        d.Rect(0, Horizon, 1, 1 - Horizon, Shade(ground, dark ? 0.45f : 1f));

        // Trees along the back.
        for (int i = 0; i < spec.Trees; i++)
        {
            float x = 0.08f + (i * 0.16f);
            d.Rect(x - 0.012f, Horizon - 0.06f, 0.024f, 0.1f, Shade(new Rgba(110, 70, 40), dark ? 0.5f : 1f));
            d.Ellipse(x, Horizon - 0.1f, 0.065f, 0.075f, Shade(new Rgba(30, 120, 40), dark ? 0.5f : 1f));
        }

        // Path: a trapezoid from the near edge to the horizon.
        float half = (float)spec.PathWidth / 2;
        Rgba pathColour = Shade(new Rgba(225, 220, 205), dark ? 0.5f : 1f);
        d.Poly(pathColour, (0.5f - half, 1f), (0.5f + half, 1f), (0.5f + (half * 0.25f), Horizon), (0.5f - (half * 0.25f), Horizon));

        // Pools of light on the path come before objects so they sit on the ground.
        for (int i = 0; i < spec.Lights; i++)
        {
            float y = 0.5f + (i * 0.12f);
            float x = LampX(i, half, y);
            if (dark)
            {
                d.Ellipse(x + (i % 2 == 0 ? 0.06f : -0.06f), y + 0.06f, 0.11f, 0.035f, new Rgba(255, 230, 120, 170));
            }
        }

        if (!spec.SmoothPath)
        {
            // Cracks and patches in a dark colour across the path.
            for (int i = 0; i < 5; i++)
            {
                float y = 0.45f + (i * 0.11f);
                float w = half * (0.25f + (0.75f * (y - Horizon) / (1 - Horizon)));
                d.Line(0.5f - (w * 0.8f), y, 0.5f + (w * 0.1f), y + 0.03f, 0.008f, new Rgba(60, 55, 50));
                d.Ellipse(0.5f + (w * 0.4f), y + 0.02f, w * 0.18f, 0.012f, new Rgba(90, 85, 80));
            }
        }

        // Terrace on the left, reached by ramp and/or stairs.
        Rgba terrace = Shade(new Rgba(170, 160, 150), dark ? 0.6f : 1f);
        d.Rect(0.0f, 0.42f, 0.16f, 0.2f, terrace);
        d.Rect(0.0f, 0.42f, 0.16f, 0.02f, new Rgba(90, 85, 80));
        if (spec.Access is StepFreeAccess.Ramp or StepFreeAccess.RampAndStairs)
        {
            // Long smooth yellow wedge with a handrail.
            d.Poly(new Rgba(240, 200, 40), (0.16f, 0.44f), (0.16f, 0.62f), (0.42f, 0.62f));
            d.Line(0.16f, 0.40f, 0.42f, 0.58f, 0.01f, new Rgba(40, 40, 40));
        }

        if (spec.Access is StepFreeAccess.Stairs or StepFreeAccess.RampAndStairs)
        {
            // Four steps in alternating light and dark bands: a staircase silhouette.
            float top = spec.Access == StepFreeAccess.RampAndStairs ? 0.62f : 0.44f;
            float x0 = spec.Access == StepFreeAccess.RampAndStairs ? 0.0f : 0.16f;
            float stepH = spec.Access == StepFreeAccess.RampAndStairs ? 0.04f : 0.045f;
            for (int s = 0; s < 4; s++)
            {
                float y = top + (s * stepH);
                d.Rect(x0, y, 0.06f + (s * 0.035f), stepH, s % 2 == 0 ? new Rgba(235, 235, 235) : new Rgba(70, 70, 80));
            }
        }

        for (int i = 0; i < spec.Planters; i++)
        {
            float y = 0.5f + (i * 0.11f);
            float x = 0.5f - half * (0.25f + (0.75f * (y - Horizon) / (1 - Horizon))) - 0.07f;
            d.Rect(x - 0.04f, y, 0.08f, 0.06f, new Rgba(120, 120, 130));
            d.Ellipse(x, y - 0.005f, 0.05f, 0.035f, new Rgba(40, 150, 60));
        }

        for (int i = 0; i < spec.Benches; i++)
        {
            float y = 0.48f + (i * 0.12f);
            float x = 0.82f;
            Rgba wood = Shade(new Rgba(150, 80, 30), dark ? 0.7f : 1f);
            d.Rect(x - 0.08f, y, 0.16f, 0.025f, wood); // backrest
            d.Rect(x - 0.08f, y + 0.04f, 0.16f, 0.025f, wood); // seat
            d.Rect(x - 0.07f, y + 0.065f, 0.015f, 0.035f, new Rgba(40, 40, 40));
            d.Rect(x + 0.055f, y + 0.065f, 0.015f, 0.035f, new Rgba(40, 40, 40));
        }

        for (int i = 0; i < spec.Lights; i++)
        {
            float y = 0.5f + (i * 0.12f);
            float x = LampX(i, half, y);
            d.Rect(x - 0.006f, y - 0.22f, 0.012f, 0.22f, new Rgba(50, 50, 55));
            d.Ellipse(x, y - 0.23f, 0.022f, 0.018f, dark ? new Rgba(255, 240, 150) : new Rgba(200, 200, 190));
        }

        if (spec.SignLanguages > 0)
        {
            d.Rect(0.64f, 0.34f, 0.012f, 0.14f, new Rgba(60, 60, 60));
            d.Rect(0.58f, 0.26f, 0.13f, 0.1f, new Rgba(250, 250, 250));
            d.Rect(0.59f, 0.275f, 0.11f, 0.03f, new Rgba(30, 80, 200));
            if (spec.SignLanguages == 2)
            {
                d.Rect(0.59f, 0.315f, 0.11f, 0.03f, new Rgba(210, 40, 40));
            }
        }

        var rng = new Random(seed);
        for (int i = 0; i < spec.Pedestrians; i++)
        {
            float y = 0.55f + (float)(rng.NextDouble() * 0.3);
            float x = 0.5f + (float)((rng.NextDouble() - 0.5) * spec.PathWidth * 0.8);
            var cloth = new Rgba((byte)rng.Next(60, 230), (byte)rng.Next(40, 200), (byte)rng.Next(60, 230));
            d.Rect(x - 0.012f, y + 0.03f, 0.01f, 0.06f, new Rgba(40, 40, 60)); // legs
            d.Rect(x + 0.002f, y + 0.03f, 0.01f, 0.06f, new Rgba(40, 40, 60));
            d.Rect(x - 0.018f, y - 0.04f, 0.036f, 0.075f, cloth); // body
            d.Ellipse(x, y - 0.06f, 0.016f, 0.018f, new Rgba(190, 140, 100));
        }

        for (int i = 0; i < spec.WheelchairUsers; i++)
        {
            float y = 0.6f + (float)(rng.NextDouble() * 0.25);
            float x = 0.5f + (float)((rng.NextDouble() - 0.5) * spec.PathWidth * 0.8);
            var cloth = new Rgba((byte)rng.Next(60, 230), (byte)rng.Next(40, 200), (byte)rng.Next(60, 230));
            d.Ellipse(x, y + 0.055f, 0.04f, 0.04f, new Rgba(20, 20, 20)); // big wheel
            d.Ellipse(x, y + 0.055f, 0.028f, 0.028f, new Rgba(150, 150, 160));
            d.Rect(x - 0.03f, y + 0.02f, 0.05f, 0.012f, new Rgba(20, 20, 20)); // seat
            d.Rect(x - 0.02f, y - 0.04f, 0.034f, 0.06f, cloth); // seated body
            d.Ellipse(x - 0.003f, y - 0.06f, 0.016f, 0.018f, new Rgba(190, 140, 100));
        }

        return img;
    }

    private static float LampX(int i, float half, float y)
    {
        float w = half * (0.25f + (0.75f * (y - Horizon) / (1 - Horizon)));
        return i % 2 == 0 ? 0.5f - w - 0.02f : 0.5f + w + 0.02f;
    }

    private static Rgba Shade(Rgba c, float f) => new((byte)(c.R * f), (byte)(c.G * f), (byte)(c.B * f), c.A);

    // Unit coordinates (0..1 of width and height) to pixels.
    private sealed class Draw(Canvas canvas, int w, int h)
    {
        public void Rect(float x, float y, float rw, float rh, Rgba c) => canvas.FillRect(x * w, y * h, rw * w, rh * h, c);

        public void Ellipse(float cx, float cy, float rx, float ry, Rgba c) => canvas.FillEllipse(cx * w, cy * h, rx * w, ry * h, c);

        public void Line(float x0, float y0, float x1, float y1, float width, Rgba c) =>
            canvas.Line(x0 * w, y0 * h, x1 * w, y1 * h, MathF.Max(1f, width * w), c);

        public void Poly(Rgba c, params (float X, float Y)[] pts) =>
            canvas.FillPolygon([.. pts.Select(p => (p.X * w, p.Y * h))], c);
    }
}
