using Pluralist.World.Imaging;

namespace Pluralist.World.Scenes;

/// <summary>
/// Draws a <see cref="SceneSpec"/> in a flat illustrated style with a fixed camera: sky, a backdrop
/// that tells the typology, a path from the street in the foreground to the horizon, a raised
/// terrace on the left reached by a ramp and/or stairs, seating on the right. Coordinates are
/// fractions of the image (x right, y down). The seed places people, animals, litter and weather
/// particles; everything else follows the spec. Same spec and seed, same pixels.
/// </summary>
public static class SceneRenderer
{
    public const int MinSize = 32;
    public const int MaxSize = 1024;

    private const float Horizon = 0.36f;
    private const float KerbTop = 0.88f;
    private const float KerbBottom = 0.905f;

    private static readonly Rgba[] Skins = [new(240, 205, 175), new(205, 150, 110), new(160, 105, 70), new(110, 70, 45), new(230, 185, 140), new(80, 52, 35)];
    private static readonly Rgba Ink = new(35, 35, 40);

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
        var d = new Draw(new Canvas(img), width, height);
        var s = new Scene(spec, seed, d);
        s.Sky();
        s.Backdrop();
        s.Ground();
        s.Trees();
        s.BackObjects();
        s.Street();
        s.Path();
        s.Terrace();
        s.PlayAndSport();
        s.Furniture();
        s.Marks();
        s.Figures();
        s.WeatherOverlay();
        Daylight(img, spec);
        s.Emissive();
        return img;
    }

    /// <summary>The half-width of the path at height y: the path narrows linearly to a quarter at the horizon.</summary>
    internal static float PathHalf(SceneSpec spec, float y) =>
        (float)spec.PathWidth / 2 * (0.25f + (0.75f * Math.Clamp((y - Horizon) / (KerbTop - Horizon), 0, 1)));

    // Time of day and overcast as a per-channel multiply: c' = c * f (lamps and the moon are drawn after, unaffected).
    private static void Daylight(RgbaImage img, SceneSpec spec)
    {
        (float r, float g, float b) = spec.TimeOfDay switch
        {
            TimeOfDay.Morning => (1.0f, 0.96f, 0.9f),
            TimeOfDay.Evening => (0.88f, 0.68f, 0.62f),
            TimeOfDay.Night => (0.36f, 0.4f, 0.58f),
            _ => (1f, 1f, 1f),
        };
        if (spec.Weather is Weather.Cloudy or Weather.Rain or Weather.Snow)
        {
            (r, g, b) = (r * 0.86f, g * 0.87f, b * 0.9f);
        }

        if (r == 1f && g == 1f && b == 1f)
        {
            return;
        }

        byte[] p = img.Pixels;
        for (int i = 0; i < p.Length; i += 4)
        {
            p[i] = (byte)(p[i] * r);
            p[i + 1] = (byte)(p[i + 1] * g);
            p[i + 2] = (byte)(p[i + 2] * b);
        }
    }

    private static Rgba Mix(Rgba a, Rgba b, float t) =>
        new((byte)(a.R + ((b.R - a.R) * t)), (byte)(a.G + ((b.G - a.G) * t)), (byte)(a.B + ((b.B - a.B) * t)), a.A);

    private sealed class Scene(SceneSpec spec, int seed, Draw d)
    {
        private bool Dark => spec.TimeOfDay is TimeOfDay.Evening or TimeOfDay.Night;

        private bool Snowy => spec.Season == Season.Winter || spec.Weather == Weather.Snow;

        // One random stream per kind of thing, so adding a dog does not move the pedestrians.
        private Random Rng(int stream) => new(unchecked((seed * 7919) + (stream * 104729)));

        public void Sky()
        {
            Rgba sky = spec.TimeOfDay switch
            {
                TimeOfDay.Morning => new Rgba(185, 215, 240),
                TimeOfDay.Noon => new Rgba(115, 185, 245),
                TimeOfDay.Evening => new Rgba(245, 160, 120),
                _ => new Rgba(60, 62, 110),
            };
            if (spec.Weather is Weather.Cloudy or Weather.Rain or Weather.Snow)
            {
                sky = Mix(sky, new Rgba(170, 175, 185), 0.65f);
            }

            d.Rect(0, 0, 1, Horizon + 0.01f, sky);
            if (spec.Weather == Weather.Clear)
            {
                switch (spec.TimeOfDay)
                {
                    case TimeOfDay.Morning: d.Ellipse(0.16f, 0.13f, 0.05f, 0.05f, new Rgba(255, 240, 190)); break;
                    case TimeOfDay.Noon: d.Ellipse(0.82f, 0.08f, 0.045f, 0.045f, new Rgba(255, 245, 160)); break;
                    case TimeOfDay.Evening: d.Ellipse(0.84f, 0.24f, 0.06f, 0.06f, new Rgba(255, 170, 80)); break;
                }

                if (spec.Detail > 0.4)
                {
                    Cloud(0.34f, 0.09f, 0.5f, new Rgba(250, 250, 250, 220));
                }
            }
            else
            {
                Rgba cloud = spec.Weather == Weather.Rain ? new Rgba(120, 125, 140) : new Rgba(200, 203, 210);
                Cloud(0.15f, 0.08f, 1f, cloud);
                Cloud(0.5f, 0.05f, 1.2f, cloud);
                Cloud(0.82f, 0.1f, 1f, cloud);
            }
        }

        private void Cloud(float x, float y, float size, Rgba c)
        {
            d.Ellipse(x, y, 0.08f * size, 0.03f * size, c);
            d.Ellipse(x - (0.05f * size), y + (0.01f * size), 0.05f * size, 0.025f * size, c);
            d.Ellipse(x + (0.05f * size), y + (0.01f * size), 0.055f * size, 0.025f * size, c);
            d.Ellipse(x + (0.01f * size), y - (0.02f * size), 0.045f * size, 0.03f * size, c);
        }

        public void Backdrop()
        {
            bool windows = spec.Detail > 0.25;
            switch (spec.Typology)
            {
                case Typology.Park:
                    d.Ellipse(0.25f, Horizon + 0.02f, 0.4f, 0.1f, new Rgba(80, 145, 75));
                    d.Ellipse(0.78f, Horizon + 0.03f, 0.35f, 0.12f, new Rgba(100, 160, 85));
                    for (int i = 0; i < 7; i++)
                    {
                        d.Ellipse(0.05f + (i * 0.15f), Horizon - 0.06f - (0.02f * (i % 2)), 0.05f, 0.035f, new Rgba(60, 115, 65));
                    }

                    break;
                case Typology.Plaza:
                    d.Rect(0.0f, 0.2f, 0.18f, 0.17f, new Rgba(170, 160, 150));
                    d.Rect(0.82f, 0.18f, 0.18f, 0.19f, new Rgba(160, 150, 145));
                    d.Rect(0.2f, 0.2f, 0.6f, 0.17f, new Rgba(230, 220, 195));
                    d.Poly(new Rgba(215, 200, 170), (0.18f, 0.2f), (0.82f, 0.2f), (0.5f, 0.12f));
                    for (int i = 0; windows && i < 8; i++)
                    {
                        d.Rect(0.24f + (i * 0.072f), 0.22f, 0.016f, 0.14f, new Rgba(250, 245, 230)); // columns
                    }

                    Windows(0.0f, 0.22f, 0.18f, 0.12f, 3, 3, windows);
                    Windows(0.82f, 0.2f, 0.18f, 0.14f, 3, 3, windows);
                    break;
                case Typology.PedestrianPromenade:
                    Rgba[] facades = [new(180, 90, 70), new(215, 180, 120), new(150, 140, 130), new(200, 120, 80), new(120, 100, 90), new(225, 200, 150)];
                    for (int i = 0; i < 6; i++)
                    {
                        float x = i / 6f, top = 0.14f + (0.03f * (i % 3));
                        d.Rect(x, top, 1 / 6f, 0.37f - top, facades[i]);
                        d.Rect(x, top, 1 / 6f, 0.012f, Mix(facades[i], Ink, 0.4f)); // cornice
                        Windows(x + 0.01f, top + 0.03f, (1 / 6f) - 0.02f, 0.1f, 2, 2, windows);
                        Rgba stripe = i % 2 == 0 ? new Rgba(40, 110, 60) : new Rgba(160, 40, 50);
                        d.Poly(stripe, (x + 0.01f, 0.29f), (x + (1 / 6f) - 0.01f, 0.29f), (x + (1 / 6f), 0.32f), (x, 0.32f)); // shop awning
                    }

                    break;
                case Typology.ResidentialStreet:
                    Rgba[] houses = [new(200, 190, 160), new(170, 190, 200), new(210, 170, 150), new(190, 200, 170)];
                    for (int i = 0; i < 4; i++)
                    {
                        float x = 0.02f + (i * 0.25f);
                        d.Rect(x, 0.23f, 0.21f, 0.14f, houses[i]);
                        d.Poly(new Rgba(120, 60, 50), (x - 0.015f, 0.235f), (x + 0.225f, 0.235f), (x + 0.105f, 0.15f)); // roof
                        d.Rect(x + 0.09f, 0.3f, 0.03f, 0.07f, new Rgba(90, 60, 40)); // door
                        Windows(x + 0.02f, 0.25f, 0.17f, 0.04f, 2, 1, windows);
                    }

                    break;
                case Typology.CommercialBackAlley:
                    d.Rect(0, 0.1f, 1, 0.27f, new Rgba(120, 70, 55));
                    d.Poly(new Rgba(95, 55, 45), (0, 0), (0.3f, 0.12f), (0.3f, Horizon), (0, 0.42f));
                    d.Poly(new Rgba(95, 55, 45), (1, 0), (0.7f, 0.12f), (0.7f, Horizon), (1, 0.42f));
                    for (int i = 0; windows && i < 6; i++)
                    {
                        d.Line(0.3f, 0.15f + (i * 0.035f), 0.7f, 0.15f + (i * 0.035f), 0.003f, new Rgba(90, 50, 40)); // brick courses
                    }

                    d.Rect(0.36f, 0.29f, 0.1f, 0.07f, new Rgba(40, 100, 60)); // dumpster
                    d.Rect(0.58f, 0.16f, 0.07f, 0.005f, Ink); // fire escape
                    d.Rect(0.58f, 0.23f, 0.07f, 0.005f, Ink);
                    d.Line(0.6f, 0.16f, 0.64f, 0.23f, 0.004f, Ink);
                    break;
                case Typology.Waterfront:
                    d.Rect(0, 0.26f, 1, 0.11f, new Rgba(60, 125, 190));
                    for (int i = 0; i < 5; i++)
                    {
                        d.Rect(0.05f + (i * 0.19f), 0.2f + (0.02f * (i % 2)), 0.1f, 0.06f - (0.02f * (i % 2)), new Rgba(140, 150, 170)); // far shore
                    }

                    for (int i = 0; windows && i < 8; i++)
                    {
                        d.Line(0.05f + (i * 0.12f), 0.29f + (0.02f * (i % 3)), 0.11f + (i * 0.12f), 0.29f + (0.02f * (i % 3)), 0.004f, new Rgba(200, 225, 245));
                    }

                    d.Rect(0, 0.345f, 1, 0.006f, new Rgba(70, 70, 75)); // railing
                    for (int i = 0; i <= 20; i++)
                    {
                        d.Rect(i * 0.05f, 0.345f, 0.004f, 0.025f, new Rgba(70, 70, 75));
                    }

                    break;
                case Typology.Schoolyard:
                    d.Rect(0.08f, 0.2f, 0.84f, 0.17f, new Rgba(170, 80, 60));
                    d.Rect(0.42f, 0.15f, 0.16f, 0.06f, new Rgba(170, 80, 60));
                    d.Ellipse(0.5f, 0.18f, 0.022f, 0.022f, new Rgba(245, 245, 240)); // clock
                    d.Line(0.5f, 0.18f, 0.5f, 0.165f, 0.003f, Ink);
                    Windows(0.1f, 0.23f, 0.8f, 0.08f, 8, 2, windows);
                    for (int i = 0; i <= 25; i++)
                    {
                        d.Rect(i * 0.04f, 0.31f, 0.003f, 0.06f, new Rgba(150, 150, 155)); // fence posts
                    }

                    d.Rect(0, 0.31f, 1, 0.004f, new Rgba(150, 150, 155));
                    break;
                default: // TransitStop
                    d.Rect(0, 0.18f, 1, 0.19f, new Rgba(165, 165, 175));
                    Windows(0, 0.2f, 1, 0.08f, 8, 2, windows);
                    d.Rect(0.1f, 0.26f, 0.38f, 0.09f, new Rgba(30, 110, 190)); // bus
                    d.Rect(0.12f, 0.275f, 0.34f, 0.03f, new Rgba(200, 225, 240));
                    d.Ellipse(0.17f, 0.35f, 0.02f, 0.02f, Ink);
                    d.Ellipse(0.41f, 0.35f, 0.02f, 0.02f, Ink);
                    d.Rect(0.62f, 0.25f, 0.16f, 0.12f, new Rgba(190, 225, 235, 170)); // shelter glass
                    d.Rect(0.62f, 0.245f, 0.16f, 0.012f, Ink);
                    d.Rect(0.62f, 0.25f, 0.006f, 0.12f, Ink);
                    d.Rect(0.774f, 0.25f, 0.006f, 0.12f, Ink);
                    d.Rect(0.8f, 0.22f, 0.006f, 0.15f, Ink); // stop pole
                    d.Ellipse(0.803f, 0.22f, 0.018f, 0.018f, new Rgba(220, 40, 40));
                    break;
            }
        }

        private void Windows(float x, float y, float w, float h, int cols, int rows, bool draw)
        {
            if (!draw)
            {
                return;
            }

            float cw = w / cols, rh = h / rows;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    d.Rect(x + (c * cw) + (cw * 0.2f), y + (r * rh) + (rh * 0.2f), cw * 0.6f, rh * 0.6f, new Rgba(70, 90, 120));
                }
            }
        }

        public void Ground()
        {
            Rgba ground = spec.Typology switch
            {
                Typology.Park => new Rgba(190, 185, 150),
                Typology.Plaza => new Rgba(205, 195, 175),
                Typology.PedestrianPromenade => new Rgba(195, 160, 135),
                Typology.ResidentialStreet => new Rgba(180, 180, 182),
                Typology.CommercialBackAlley => new Rgba(125, 118, 110),
                Typology.Waterfront => new Rgba(175, 140, 100),
                Typology.Schoolyard => new Rgba(150, 150, 158),
                _ => new Rgba(172, 172, 178),
            };
            d.Rect(0, Horizon, 1, KerbTop - Horizon, ground);
            if (spec.Lawn)
            {
                Rgba grass = Snowy ? new Rgba(232, 236, 242) : spec.Season switch
                {
                    Season.Spring => new Rgba(125, 195, 90),
                    Season.Autumn => new Rgba(165, 160, 80),
                    _ => new Rgba(80, 160, 70),
                };
                float m = 0.03f;
                d.Poly(grass, (0, Horizon + 0.01f), (0.5f - PathHalf(spec, Horizon) - m, Horizon + 0.01f), (0.5f - PathHalf(spec, KerbTop) - m, KerbTop - 0.01f), (0, KerbTop - 0.01f));
                d.Poly(grass, (1, Horizon + 0.01f), (0.5f + PathHalf(spec, Horizon) + m, Horizon + 0.01f), (0.5f + PathHalf(spec, KerbTop) + m, KerbTop - 0.01f), (1, KerbTop - 0.01f));
                var r = Rng(1);
                for (int i = 0; spec.Detail > 0.3 && i < 40; i++)
                {
                    float x = (float)r.NextDouble(), y = Horizon + 0.03f + ((float)r.NextDouble() * 0.45f);
                    if (Math.Abs(x - 0.5f) > PathHalf(spec, y) + 0.05f)
                    {
                        d.Line(x, y, x + 0.004f, y - 0.014f, 0.003f, Mix(grass, Ink, 0.3f)); // tufts
                    }
                }
            }

            if (Snowy)
            {
                // Snow banks along the back and the sides.
                d.Poly(new Rgba(240, 243, 248), (0, Horizon), (1, Horizon), (1, Horizon + 0.04f), (0.6f, Horizon + 0.02f), (0.3f, Horizon + 0.035f), (0, Horizon + 0.025f));
                d.Ellipse(0.02f, 0.8f, 0.08f, 0.05f, new Rgba(240, 243, 248));
                d.Ellipse(0.98f, 0.84f, 0.07f, 0.04f, new Rgba(240, 243, 248));
            }

            if (spec.Season == Season.Autumn)
            {
                var r = Rng(2);
                for (int i = 0; i < 30; i++)
                {
                    float x = (float)r.NextDouble(), y = Horizon + 0.02f + ((float)r.NextDouble() * 0.5f);
                    d.Ellipse(x, y, 0.008f, 0.005f, i % 2 == 0 ? new Rgba(220, 110, 30) : new Rgba(190, 60, 30)); // fallen leaves
                }
            }
        }

        public void Trees()
        {
            for (int i = 0; i < spec.Trees; i++)
            {
                float x = 0.08f + (i * 0.16f), y = Horizon - 0.1f;
                d.Rect(x - 0.012f, Horizon - 0.07f, 0.024f, 0.11f, new Rgba(105, 70, 40));
                switch (spec.Season)
                {
                    case Season.Winter:
                        // Bare branches with snow on them.
                        d.Line(x, y + 0.04f, x - 0.05f, y - 0.04f, 0.008f, new Rgba(95, 65, 40));
                        d.Line(x, y + 0.04f, x + 0.05f, y - 0.05f, 0.008f, new Rgba(95, 65, 40));
                        d.Line(x, y + 0.04f, x, y - 0.07f, 0.009f, new Rgba(95, 65, 40));
                        d.Ellipse(x, y - 0.07f, 0.018f, 0.008f, new Rgba(245, 245, 250));
                        break;
                    case Season.Spring:
                        d.Ellipse(x, y, 0.065f, 0.075f, new Rgba(120, 190, 90));
                        for (int k = 0; k < 6; k++)
                        {
                            d.Ellipse(x + (0.035f * MathF.Cos(k * 1.1f)), y + (0.04f * MathF.Sin(k * 1.7f)), 0.012f, 0.012f, new Rgba(250, 180, 210)); // blossom
                        }

                        break;
                    case Season.Autumn:
                        d.Ellipse(x, y, 0.065f, 0.075f, new Rgba(220, 120, 35));
                        d.Ellipse(x + 0.02f, y - 0.02f, 0.03f, 0.03f, new Rgba(200, 70, 30));
                        break;
                    default:
                        d.Ellipse(x, y, 0.065f, 0.075f, new Rgba(35, 120, 45));
                        break;
                }
            }
        }

        public void BackObjects()
        {
            for (int i = 0; i < spec.MarketStalls; i++)
            {
                float cx = 0.225f + (i * 0.09f);
                d.Rect(cx - 0.04f, 0.37f, 0.08f, 0.035f, new Rgba(150, 100, 60)); // table with produce
                d.Ellipse(cx - 0.02f, 0.368f, 0.012f, 0.008f, new Rgba(230, 60, 40));
                d.Ellipse(cx + 0.015f, 0.368f, 0.012f, 0.008f, new Rgba(250, 190, 40));
                d.Rect(cx - 0.04f, 0.33f, 0.004f, 0.08f, Ink);
                d.Rect(cx + 0.036f, 0.33f, 0.004f, 0.08f, Ink);
                Rgba stripe = i % 2 == 0 ? new Rgba(220, 50, 50) : new Rgba(40, 140, 80);
                for (int k = 0; k < 4; k++)
                {
                    d.Rect(cx - 0.045f + (k * 0.0225f), 0.31f, 0.0225f, 0.025f, k % 2 == 0 ? stripe : new Rgba(250, 250, 245)); // awning
                }
            }

            if (spec.Kiosk)
            {
                d.Rect(0.79f, 0.3f, 0.13f, 0.11f, new Rgba(40, 130, 140));
                d.Poly(new Rgba(230, 80, 60), (0.775f, 0.3f), (0.935f, 0.3f), (0.855f, 0.255f)); // roof
                d.Rect(0.805f, 0.32f, 0.1f, 0.04f, new Rgba(250, 230, 150)); // serving window
                d.Rect(0.8f, 0.36f, 0.11f, 0.008f, new Rgba(230, 230, 230));
            }

            if (spec.PublicArt)
            {
                d.Rect(0.47f, 0.3f, 0.06f, 0.065f, new Rgba(140, 140, 150)); // plinth
                d.Poly(new Rgba(230, 60, 50), (0.5f, 0.16f), (0.54f, 0.23f), (0.5f, 0.3f), (0.46f, 0.23f));
                d.Ellipse(0.52f, 0.2f, 0.018f, 0.018f, new Rgba(250, 200, 30));
                d.Poly(new Rgba(40, 90, 200), (0.465f, 0.3f), (0.48f, 0.24f), (0.5f, 0.3f));
            }

            if (spec.Fountain)
            {
                d.Ellipse(0.66f, 0.445f, 0.075f, 0.025f, new Rgba(150, 150, 155)); // rim
                d.Ellipse(0.66f, 0.445f, 0.062f, 0.017f, new Rgba(80, 160, 225)); // water
                for (int k = -1; k <= 1; k++)
                {
                    d.Line(0.66f + (k * 0.02f), 0.44f, 0.66f + (k * 0.03f), 0.39f, 0.005f, new Rgba(200, 230, 250));
                }

                d.Ellipse(0.66f, 0.39f, 0.035f, 0.012f, new Rgba(200, 230, 250, 200)); // spray
            }
        }

        public void Street()
        {
            d.Rect(0, KerbBottom, 1, 1 - KerbBottom, new Rgba(75, 75, 82)); // roadway
            d.Rect(0, KerbTop, 1, KerbBottom - KerbTop, new Rgba(150, 150, 156)); // kerb
            float half = PathHalf(spec, KerbTop);
            for (int k = 0; k < 5; k++)
            {
                float x = 0.5f - half + (k * 2 * half / 5);
                d.Rect(x + 0.01f, KerbBottom + 0.01f, (2 * half / 5) - 0.02f, 0.085f, new Rgba(235, 235, 235)); // zebra crossing
            }

            if (spec.KerbCuts)
            {
                // The kerb drops to the road across the path's width, with flared sides.
                d.Poly(new Rgba(215, 200, 170), (0.5f - half - 0.05f, KerbTop), (0.5f + half + 0.05f, KerbTop), (0.5f + half, KerbBottom + 0.004f), (0.5f - half, KerbBottom + 0.004f));
                d.Line(0.5f - half - 0.05f, KerbTop, 0.5f - half, KerbBottom, 0.004f, new Rgba(110, 100, 90));
                d.Line(0.5f + half + 0.05f, KerbTop, 0.5f + half, KerbBottom, 0.004f, new Rgba(110, 100, 90));
            }
            else
            {
                d.Rect(0, KerbBottom - 0.005f, 1, 0.006f, new Rgba(40, 40, 45)); // the step down
            }

            var r = Rng(3);
            float[] slots = [0.12f, 0.88f, 0.3f];
            for (int i = 0; i < spec.Cars; i++)
            {
                var body = new Rgba((byte)r.Next(40, 230), (byte)r.Next(30, 180), (byte)r.Next(30, 200));
                float x = slots[i];
                d.Rect(x - 0.1f, 0.93f, 0.2f, 0.045f, body);
                d.Poly(body, (x - 0.06f, 0.93f), (x - 0.035f, 0.905f), (x + 0.045f, 0.905f), (x + 0.07f, 0.93f));
                d.Poly(new Rgba(170, 200, 220), (x - 0.05f, 0.93f), (x - 0.03f, 0.912f), (x + 0.04f, 0.912f), (x + 0.06f, 0.93f));
                d.Ellipse(x - 0.06f, 0.978f, 0.018f, 0.018f, Ink);
                d.Ellipse(x + 0.06f, 0.978f, 0.018f, 0.018f, Ink);
            }

            if (spec.Bollards)
            {
                for (int i = 0; i < 10; i++)
                {
                    float x = 0.04f + (i * 0.1f);
                    if (Math.Abs(x - 0.5f) < half + 0.01f)
                    {
                        x = x < 0.5f ? 0.5f - half - 0.015f : 0.5f + half + 0.015f; // keep the path open
                    }

                    d.Rect(x - 0.008f, KerbTop - 0.05f, 0.016f, 0.05f, new Rgba(60, 60, 65));
                    d.Rect(x - 0.008f, KerbTop - 0.04f, 0.016f, 0.008f, new Rgba(240, 200, 40));
                }
            }
        }

        public void Path()
        {
            Rgba pathColour = new(228, 222, 208);
            float nearHalf = PathHalf(spec, KerbTop), farHalf = PathHalf(spec, Horizon);
            d.Poly(pathColour, (0.5f - nearHalf, KerbTop), (0.5f + nearHalf, KerbTop), (0.5f + farHalf, Horizon), (0.5f - farHalf, Horizon));
            int joints = (int)(spec.Detail * 12);
            for (int i = 1; i <= joints; i++)
            {
                // Joints closer together towards the horizon: y = H + (K - H) * t^1.6.
                float y = Horizon + ((KerbTop - Horizon) * MathF.Pow(i / (joints + 1f), 1.6f));
                float h = PathHalf(spec, y);
                d.Line(0.5f - h, y, 0.5f + h, y, 0.003f, new Rgba(195, 188, 172));
            }

            if (!spec.SmoothPath)
            {
                for (int i = 0; i < 5; i++)
                {
                    float y = 0.45f + (i * 0.09f), w = PathHalf(spec, y);
                    d.Line(0.5f - (w * 0.8f), y, 0.5f + (w * 0.1f), y + 0.03f, 0.008f, new Rgba(60, 55, 50)); // crack
                    d.Ellipse(0.5f + (w * 0.45f), y + 0.02f, w * 0.2f, 0.012f, new Rgba(95, 90, 85)); // patch
                }
            }

            if (spec.TactilePaving)
            {
                TactileStrip(0.5f - nearHalf + 0.005f, KerbTop - 0.035f, (2 * nearHalf) - 0.01f, 0.03f);
            }
        }

        private void TactileStrip(float x, float y, float w, float h)
        {
            d.Rect(x, y, w, h, new Rgba(245, 200, 20));
            int n = Math.Max(2, (int)(w / 0.02f));
            for (int k = 0; k < n; k++)
            {
                d.Ellipse(x + ((k + 0.5f) * w / n), y + (h / 2), 0.004f, 0.004f, new Rgba(200, 150, 10)); // truncated domes
            }
        }

        public void Terrace()
        {
            d.Rect(0.0f, 0.42f, 0.16f, 0.2f, new Rgba(170, 160, 150));
            d.Rect(0.0f, 0.42f, 0.16f, 0.02f, new Rgba(90, 85, 80));
            if (spec.Access is StepFreeAccess.Ramp or StepFreeAccess.RampAndStairs)
            {
                // A long smooth yellow wedge with a handrail.
                d.Poly(new Rgba(240, 200, 40), (0.16f, 0.44f), (0.16f, 0.62f), (0.42f, 0.62f));
                d.Line(0.16f, 0.40f, 0.42f, 0.58f, 0.01f, new Rgba(40, 40, 40));
                d.Line(0.42f, 0.58f, 0.42f, 0.62f, 0.008f, new Rgba(40, 40, 40));
            }

            if (spec.Access is StepFreeAccess.Stairs or StepFreeAccess.RampAndStairs)
            {
                // Four steps in alternating light and dark bands: a staircase silhouette.
                bool both = spec.Access == StepFreeAccess.RampAndStairs;
                float top = both ? 0.62f : 0.44f, x0 = both ? 0.0f : 0.16f, stepH = both ? 0.04f : 0.045f;
                for (int s = 0; s < 4; s++)
                {
                    d.Rect(x0, top + (s * stepH), 0.06f + (s * 0.035f), stepH, s % 2 == 0 ? new Rgba(235, 235, 235) : new Rgba(70, 70, 80));
                }
            }

            if (spec.TactilePaving && spec.Access != StepFreeAccess.None)
            {
                TactileStrip(0.01f, 0.445f, 0.14f, 0.025f); // warning at the top edge
            }
        }

        public void PlayAndSport()
        {
            if (spec.PlayArea)
            {
                d.Ellipse(0.12f, 0.8f, 0.11f, 0.05f, new Rgba(235, 120, 70)); // safety surface
                d.Line(0.04f, 0.82f, 0.04f, 0.68f, 0.01f, new Rgba(40, 90, 200)); // slide ladder
                d.Poly(new Rgba(240, 60, 60), (0.04f, 0.68f), (0.065f, 0.68f), (0.14f, 0.82f), (0.11f, 0.82f)); // slide
                d.Line(0.15f, 0.83f, 0.17f, 0.69f, 0.007f, Ink); // swing frame
                d.Line(0.23f, 0.83f, 0.21f, 0.69f, 0.007f, Ink);
                d.Line(0.165f, 0.69f, 0.215f, 0.69f, 0.007f, Ink);
                d.Line(0.19f, 0.69f, 0.19f, 0.77f, 0.003f, Ink);
                d.Rect(0.178f, 0.77f, 0.024f, 0.008f, new Rgba(250, 200, 30)); // seat
            }

            if (spec.SportArea)
            {
                d.Poly(new Rgba(60, 140, 130), (0.74f, 0.79f), (1f, 0.79f), (1f, 0.875f), (0.72f, 0.875f)); // court
                d.Line(0.76f, 0.83f, 0.99f, 0.83f, 0.004f, new Rgba(245, 245, 245));
                d.Ellipse(0.86f, 0.83f, 0.04f, 0.015f, new Rgba(245, 245, 245, 120));
                d.Rect(0.965f, 0.7f, 0.008f, 0.17f, Ink); // hoop pole
                d.Rect(0.935f, 0.66f, 0.05f, 0.045f, new Rgba(245, 245, 245)); // backboard
                d.Line(0.94f, 0.71f, 0.965f, 0.71f, 0.006f, new Rgba(230, 90, 30)); // rim
            }
        }

        public void Furniture()
        {
            for (int i = 0; i < spec.Planters; i++)
            {
                float y = 0.5f + (i * 0.1f), x = 0.5f - PathHalf(spec, y) - 0.06f;
                d.Rect(x - 0.04f, y, 0.08f, 0.06f, new Rgba(120, 120, 130));
                Rgba shrub = spec.Season switch
                {
                    Season.Winter => new Rgba(90, 110, 90),
                    Season.Autumn => new Rgba(170, 120, 50),
                    _ => new Rgba(40, 150, 60),
                };
                d.Ellipse(x, y - 0.005f, 0.05f, 0.035f, shrub);
            }

            if (spec.Canopy)
            {
                d.Rect(0.752f, 0.44f, 0.007f, 0.34f, Ink);
                d.Rect(0.983f, 0.44f, 0.007f, 0.34f, Ink);
                d.Poly(new Rgba(245, 240, 225, 235), (0.74f, 0.43f), (1.0f, 0.41f), (0.97f, 0.49f), (0.77f, 0.5f)); // shade sail
                d.Line(0.74f, 0.43f, 1.0f, 0.41f, 0.005f, new Rgba(230, 120, 40));
            }

            for (int i = 0; i < spec.Benches; i++)
            {
                float y = 0.52f + (i * 0.09f), x = 0.84f;
                Rgba wood = new(150, 80, 30);
                d.Rect(x - 0.08f, y, 0.16f, 0.025f, wood); // backrest
                d.Rect(x - 0.08f, y + 0.04f, 0.16f, 0.025f, wood); // seat
                d.Rect(x - 0.07f, y + 0.065f, 0.015f, 0.03f, Ink);
                d.Rect(x + 0.055f, y + 0.065f, 0.015f, 0.03f, Ink);
            }

            for (int i = 0; i < spec.Chairs; i++)
            {
                float y = 0.5f + (i * 0.1f), x = 0.69f;
                Rgba metal = new(200, 60, 50);
                d.Ellipse(x, y, 0.04f, 0.014f, new Rgba(240, 240, 235)); // round table
                d.Rect(x - 0.004f, y, 0.008f, 0.06f, Ink);
                foreach (float side in new[] { -1f, 1f })
                {
                    float cx = x + (side * 0.055f);
                    d.Rect(cx - 0.02f, y + 0.025f, 0.04f, 0.014f, metal); // seat
                    d.Rect(cx + (side * 0.012f), y - 0.012f, 0.006f, 0.072f, metal); // back and leg
                    d.Rect(cx - (side * 0.015f), y + 0.033f, 0.006f, 0.027f, metal);
                }
            }

            for (int i = 0; i < spec.Lights; i++)
            {
                var (x, y) = Lamp(i);
                d.Rect(x - 0.006f, y - 0.22f, 0.012f, 0.22f, new Rgba(50, 50, 55));
                d.Rect(x - LampHead, y - 0.235f, 2 * LampHead, 0.015f, new Rgba(60, 60, 65));
            }

            (float X, float Y, float Post)[] signSlots = [(0.55f, 0.22f, 0.39f), (0.02f, 0.28f, 0.42f), (0.6f, 0.7f, 0.87f)];
            for (int i = 0; i < spec.Signs; i++)
            {
                var (x, y, post) = signSlots[i];
                d.Rect(x + 0.058f, y + 0.09f, 0.012f, post - y - 0.09f, new Rgba(60, 60, 60));
                d.Rect(x, y, 0.13f, 0.1f, new Rgba(250, 250, 250));
                Rgba[] bands = [new(30, 80, 200), new(210, 40, 40), new(30, 150, 70)];
                float bh = 0.08f / spec.SignLanguages;
                for (int k = 0; k < spec.SignLanguages; k++)
                {
                    float by = y + 0.01f + (k * bh) + (bh * 0.1f);
                    d.Rect(x + 0.01f, by, 0.11f, bh * 0.8f, bands[k]); // one text band per language
                    for (int wd = 0; wd < 3; wd++)
                    {
                        d.Rect(x + 0.018f + (wd * 0.035f), by + (bh * 0.3f), 0.026f - (wd * 0.004f), bh * 0.2f, new Rgba(250, 250, 250)); // words
                    }
                }
            }
        }

        private float LampHead => 0.01f + (0.025f * (float)spec.LightCoverage);

        private (float X, float Y) Lamp(int i)
        {
            float y = 0.5f + (i * 0.1f), w = PathHalf(spec, y);
            return (i % 2 == 0 ? 0.5f - w - 0.02f : 0.5f + w + 0.02f, y);
        }

        public void Marks()
        {
            if (spec.Graffiti)
            {
                Rgba[] paints = [new(230, 30, 160), new(30, 30, 30), new(40, 200, 90)];
                var tags = new (float X, float Y)[] { (0.01f, 0.5f), (0.08f, 0.55f), (0.3f, 0.27f), (0.68f, 0.25f) };
                for (int t = 0; t < tags.Length; t++)
                {
                    var (x, y) = tags[t];
                    for (int k = 0; k < 4; k++)
                    {
                        // A zigzag scrawl: each stroke goes up then down by 3-4% of the height.
                        d.Line(x + (k * 0.018f), y + (k % 2 * 0.035f), x + ((k + 1) * 0.018f), y + ((k + 1) % 2 * 0.035f), 0.007f, paints[(t + k) % 3]);
                    }
                }
            }

            var r = Rng(4);
            for (int i = 0; i < spec.Litter * 8; i++)
            {
                float x = 0.05f + ((float)r.NextDouble() * 0.9f), y = Horizon + 0.08f + ((float)r.NextDouble() * 0.42f);
                if (i % 3 == 0)
                {
                    d.Rect(x, y, 0.02f, 0.01f, new Rgba(200, 30, 30)); // can
                }
                else
                {
                    d.Poly(new Rgba(250, 250, 245), (x, y), (x + 0.025f, y + 0.005f), (x + 0.018f, y + 0.018f), (x - 0.004f, y + 0.012f)); // paper
                }
            }

            if (spec.Litter >= 2)
            {
                d.Rect(0.3f, 0.76f, 0.04f, 0.06f, new Rgba(60, 90, 60)); // overflowing bin
                d.Ellipse(0.32f, 0.76f, 0.035f, 0.015f, new Rgba(230, 230, 220));
            }
        }

        public void Figures()
        {
            var figures = new List<(float Y, Action Paint)>();
            void Place(int stream, int count, Action<float, float, float, Random> paint)
            {
                var r = Rng(stream);
                for (int i = 0; i < count; i++)
                {
                    // Spread across the width with a golden-ratio sequence per kind, jittered by the seed, so figures rarely hide each other.
                    float lane = (float)(((stream * 0.29) + (i * 0.618) + (r.NextDouble() * 0.08)) % 1.0);
                    float x = 0.14f + (0.72f * lane);
                    float y = 0.52f + ((float)r.NextDouble() * 0.34f);
                    float s = Scale(y);
                    var local = new Random(r.Next());
                    figures.Add((y, () => paint(x, y, s, local)));
                }
            }

            Place(10, spec.Pedestrians, (x, y, s, r) => Adult(x, y, s, r, false));
            Place(11, spec.Children, (x, y, s, r) => Adult(x, y, s * 0.72f, r, false, child: true));
            Place(12, spec.Seniors, (x, y, s, r) => Adult(x, y, s, r, true));
            Place(13, spec.WheelchairUsers, Wheelchair);
            Place(14, spec.WalkerUsers, Walker);
            Place(15, spec.Strollers, Stroller);
            Place(16, spec.Groups, (x, y, s, r) =>
            {
                Adult(x - (0.035f * s), y - 0.005f, s, r, false);
                Adult(x + (0.035f * s), y - 0.005f, s, r, false);
                Adult(x, y + 0.01f, s, r, false);
            });
            Place(17, spec.Dogs, (x, y, s, r) => Dog(x, y, s * 1.6f, r));
            foreach (var f in figures.OrderBy(f => f.Y))
            {
                f.Paint();
            }

            var b = Rng(18);
            for (int i = 0; i < spec.Birds; i++)
            {
                float x = 0.1f + ((float)b.NextDouble() * 0.8f), y = 0.05f + ((float)b.NextDouble() * 0.14f);
                Rgba c = spec.TimeOfDay == TimeOfDay.Night ? new Rgba(230, 230, 235) : new Rgba(30, 30, 35);
                d.Line(x - 0.06f, y - 0.028f, x, y, 0.018f, c);
                d.Line(x, y, x + 0.06f, y - 0.028f, 0.018f, c);
            }
        }

        // Figures nearer the viewer are larger: s = 0.85 at y = 0.5, growing 1.5 per unit of y.
        private static float Scale(float y) => 0.85f + ((y - 0.5f) * 1.5f);

        private static Rgba Cloth(Random r) => new((byte)r.Next(40, 235), (byte)r.Next(40, 200), (byte)r.Next(40, 235));

        private void Adult(float x, float y, float s, Random r, bool senior, bool child = false)
        {
            Rgba cloth = child ? new Rgba((byte)r.Next(180, 255), (byte)r.Next(60, 220), (byte)r.Next(0, 120)) : Cloth(r);
            Rgba skin = Skins[r.Next(Skins.Length)];
            float lean = senior ? 0.01f * s : 0;
            d.Rect(x - (0.014f * s), y - (0.065f * s), 0.011f * s, 0.065f * s, new Rgba(45, 45, 65)); // legs
            d.Rect(x + (0.003f * s), y - (0.065f * s), 0.011f * s, 0.065f * s, new Rgba(45, 45, 65));
            d.Poly(cloth, (x - (0.02f * s), y - (0.06f * s)), (x + (0.02f * s), y - (0.06f * s)), (x + (0.018f * s) + lean, y - (0.14f * s)), (x - (0.018f * s) + lean, y - (0.14f * s)));
            d.Ellipse(x + lean, y - (0.16f * s), 0.017f * s, 0.019f * s, skin);
            if (senior)
            {
                d.Ellipse(x + lean, y - (0.172f * s), 0.018f * s, 0.01f * s, new Rgba(225, 225, 230)); // grey hair
                d.Line(x + (0.03f * s), y - (0.09f * s), x + (0.04f * s), y, 0.006f * s, new Rgba(120, 80, 40)); // cane
            }
            else
            {
                d.Ellipse(x, y - (0.172f * s), 0.017f * s, 0.009f * s, new Rgba(50, 35, 25));
            }
        }

        private void Wheelchair(float x, float y, float s, Random r)
        {
            d.Ellipse(x, y - (0.04f * s), 0.04f * s, 0.04f * s, new Rgba(20, 20, 20)); // big wheel
            d.Ellipse(x, y - (0.04f * s), 0.028f * s, 0.028f * s, new Rgba(150, 150, 160));
            d.Ellipse(x + (0.04f * s), y - (0.01f * s), 0.01f * s, 0.01f * s, new Rgba(20, 20, 20)); // caster
            d.Rect(x - (0.03f * s), y - (0.075f * s), 0.06f * s, 0.012f * s, new Rgba(20, 20, 20)); // seat
            d.Line(x - (0.03f * s), y - (0.075f * s), x - (0.035f * s), y - (0.13f * s), 0.006f * s, new Rgba(20, 20, 20)); // back and handle
            Rgba cloth = Cloth(r);
            d.Rect(x - (0.022f * s), y - (0.14f * s), 0.034f * s, 0.066f * s, cloth); // seated body
            d.Rect(x, y - (0.08f * s), 0.035f * s, 0.012f * s, cloth); // thighs
            d.Rect(x + (0.027f * s), y - (0.08f * s), 0.01f * s, 0.05f * s, new Rgba(45, 45, 65)); // shins
            d.Ellipse(x - (0.004f * s), y - (0.16f * s), 0.017f * s, 0.019f * s, Skins[r.Next(Skins.Length)]);
        }

        private void Walker(float x, float y, float s, Random r)
        {
            Adult(x, y, s, r, false);
            Rgba frame = new(150, 40, 40);
            d.Line(x + (0.03f * s), y - (0.09f * s), x + (0.035f * s), y, 0.006f * s, frame);
            d.Line(x + (0.06f * s), y - (0.09f * s), x + (0.065f * s), y, 0.006f * s, frame);
            d.Line(x + (0.015f * s), y - (0.09f * s), x + (0.065f * s), y - (0.09f * s), 0.007f * s, frame); // handle
            d.Rect(x + (0.033f * s), y - (0.05f * s), 0.03f * s, 0.01f * s, frame); // seat of the rollator
            d.Ellipse(x + (0.035f * s), y, 0.008f * s, 0.008f * s, Ink);
            d.Ellipse(x + (0.065f * s), y, 0.008f * s, 0.008f * s, Ink);
        }

        private void Stroller(float x, float y, float s, Random r)
        {
            Adult(x, y, s, r, false);
            Rgba pram = new(60, 60, 140);
            d.Line(x + (0.015f * s), y - (0.09f * s), x + (0.035f * s), y - (0.05f * s), 0.006f * s, Ink); // handle
            d.Rect(x + (0.03f * s), y - (0.06f * s), 0.05f * s, 0.035f * s, pram); // basket
            d.Ellipse(x + (0.065f * s), y - (0.06f * s), 0.018f * s, 0.02f * s, pram); // hood
            d.Ellipse(x + (0.038f * s), y - (0.008f * s), 0.009f * s, 0.009f * s, Ink);
            d.Ellipse(x + (0.072f * s), y - (0.008f * s), 0.009f * s, 0.009f * s, Ink);
        }

        private void Dog(float x, float y, float s, Random r)
        {
            Rgba[] coats = [new(190, 140, 80), new(60, 45, 35), new(235, 225, 210)];
            Rgba fur = coats[r.Next(coats.Length)];
            Rgba dark = Mix(fur, Ink, 0.5f);
            foreach (float lx in new[] { -0.022f, -0.012f, 0.014f, 0.024f })
            {
                d.Line(x + (lx * s), y - (0.022f * s), x + (lx * s), y, 0.006f * s, dark); // four legs
            }

            d.Ellipse(x, y - (0.028f * s), 0.03f * s, 0.011f * s, fur); // body
            d.Ellipse(x + (0.034f * s), y - (0.043f * s), 0.011f * s, 0.01f * s, fur); // head
            d.Ellipse(x + (0.046f * s), y - (0.04f * s), 0.007f * s, 0.005f * s, fur); // snout
            d.Ellipse(x + (0.029f * s), y - (0.05f * s), 0.005f * s, 0.009f * s, dark); // ear
            d.Line(x - (0.028f * s), y - (0.032f * s), x - (0.042f * s), y - (0.05f * s), 0.005f * s, fur); // tail up
        }

        public void WeatherOverlay()
        {
            var r = Rng(20);
            switch (spec.Weather)
            {
                case Weather.Rain:
                    for (int i = 0; i < 90; i++)
                    {
                        float x = (float)r.NextDouble() * 1.05f, y = (float)r.NextDouble();
                        d.Line(x, y, x - 0.012f, y + 0.05f, 0.004f, new Rgba(210, 220, 240, 170));
                    }

                    break;
                case Weather.Snow:
                    for (int i = 0; i < 120; i++)
                    {
                        d.Ellipse((float)r.NextDouble(), (float)r.NextDouble(), 0.006f, 0.006f, new Rgba(255, 255, 255, 230));
                    }

                    break;
                case Weather.Fog:
                    d.Rect(0, 0, 1, 1, new Rgba(225, 228, 232, 80));
                    d.Rect(0, 0, 1, 0.5f, new Rgba(225, 228, 232, 110)); // thicker in the distance
                    break;
            }
        }

        public void Emissive()
        {
            if (spec.TimeOfDay == TimeOfDay.Night)
            {
                if (spec.Weather == Weather.Clear)
                {
                    d.Ellipse(0.82f, 0.09f, 0.035f, 0.035f, new Rgba(240, 240, 220));
                    var r = Rng(21);
                    for (int i = 0; spec.Detail > 0.3 && i < 25; i++)
                    {
                        d.Ellipse((float)r.NextDouble(), (float)r.NextDouble() * 0.2f, 0.003f, 0.003f, new Rgba(255, 255, 230));
                    }
                }
            }

            if (!Dark)
            {
                return;
            }

            for (int i = 0; i < spec.Lights; i++)
            {
                var (x, y) = Lamp(i);
                float cov = (float)spec.LightCoverage;
                // Pool radius grows with coverage: rx = 0.05 + 0.15 * coverage, flattened 3:1 by perspective.
                float rx = 0.05f + (0.15f * cov);
                float toward = i % 2 == 0 ? 1 : -1;
                d.Ellipse(x + (toward * rx * 0.5f), y + 0.01f, rx, rx / 3, new Rgba(255, 225, 130, 120));
                d.Ellipse(x, y - 0.23f, LampHead * 1.8f, LampHead, new Rgba(255, 240, 160, 90)); // halo
                d.Rect(x - LampHead, y - 0.235f, 2 * LampHead, 0.015f, new Rgba(255, 245, 180));
            }
        }
    }

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
