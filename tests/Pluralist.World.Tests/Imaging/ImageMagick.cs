using System.Diagnostics;

namespace Pluralist.World.Tests.Imaging;

/// <summary>The Debian ImageMagick binary, used as an independent PNG decoder and encoder.</summary>
internal static class ImageMagick
{
    // An earlier `convert` on PATH may be a stand-in that only displays images: use Debian's by absolute path.
    public static readonly string? Convert = new[] { "/usr/bin/convert-im6.q16", "/usr/bin/convert-im7.q16" }.FirstOrDefault(File.Exists);

    public static byte[] Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Convert!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ImageMagick failed ({p.ExitCode}): {err.Result}");
        }

        return ms.ToArray();
    }
}

/// <summary>A fact that skips, saying why, when the Debian ImageMagick binary is absent.</summary>
public sealed class ImageMagickFactAttribute : FactAttribute
{
    public ImageMagickFactAttribute()
    {
        if (ImageMagick.Convert is null)
        {
            Skip = "Debian ImageMagick (/usr/bin/convert-im6.q16) is not installed: apt-get install -y imagemagick";
        }
    }
}

/// <summary>A theory that skips, saying why, when the Debian ImageMagick binary is absent.</summary>
public sealed class ImageMagickTheoryAttribute : TheoryAttribute
{
    public ImageMagickTheoryAttribute()
    {
        if (ImageMagick.Convert is null)
        {
            Skip = "Debian ImageMagick (/usr/bin/convert-im6.q16) is not installed: apt-get install -y imagemagick";
        }
    }
}
