using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pluralist.Diffusion;
using Pluralist.Studies.Alignment;
using Spectre.Console;

namespace Pluralist.Cli;

/// <summary>
/// Helpers shared by several command files: checks that name the option, value parsers, model loading and progress
/// display. A helper used by one verb group stays in that group's file.
/// </summary>
internal static class CommandHelpers
{
    /// <summary>Fails with <paramref name="message"/> (which names the option or file) unless <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new CliInputException(message);
        }
    }

    /// <summary>Fails with <c>OPTION: WHY</c> unless <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string option, string why)
    {
        if (!ok)
        {
            throw new CliInputException($"{option}: {why}");
        }
    }

    /// <summary>Parses <c>1,2,5</c> or <c>1-8</c> (or a mix, <c>1-3,7</c>); at most 1000 seeds.</summary>
    public static IReadOnlyList<int> ParseSeeds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seeds = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-', 2);
            if (range.Length == 2 && int.TryParse(range[0], CultureInfo.InvariantCulture, out int a) && int.TryParse(range[1], CultureInfo.InvariantCulture, out int b) && a <= b && b - a < 1000)
            {
                seeds.AddRange(Enumerable.Range(a, b - a + 1));
            }
            else if (int.TryParse(part, CultureInfo.InvariantCulture, out int s))
            {
                seeds.Add(s);
            }
            else
            {
                throw new CliInputException($"--seeds: '{part}' is not a seed or a range a-b");
            }
        }

        if (seeds.Count is 0 or > 1000)
        {
            throw new CliInputException($"--seeds: expected 1 to 1000 seeds, got {seeds.Count}");
        }

        return seeds;
    }

    /// <summary>Parses <c>name=value,name=value</c> (values >= 0), naming the option on error; null when empty.</summary>
    public static Dictionary<string, float>? ParseWeights(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var d = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[0].Length == 0 || !float.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !float.IsFinite(w) || w < 0)
            {
                throw new CliInputException($"{option} '{part}': expected NAME=NUMBER with a number >= 0");
            }

            if (!d.TryAdd(kv[0], w))
            {
                throw new CliInputException($"{option}: '{kv[0]}' given twice");
            }
        }

        return d;
    }

    /// <summary>Loads a diffusion model file, naming the option on error.</summary>
    public static DiffusionModel LoadModel(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"{option}: file not found: {path}");
        }

        try
        {
            return DiffusionModel.Load(path);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidDataException or KeyNotFoundException or ArgumentException)
        {
            throw new CliInputException($"{option} {path}: {e.Message}");
        }
    }

    /// <summary>Loads a perception probe that reads the world's scene attributes, naming the option on error.</summary>
    public static PerceptionProbe LoadProbe(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliInputException($"{option}: file not found: {path}");
        }

        try
        {
            var p = PerceptionProbe.Load(path);
            Require(p.Config.Heads.Select(h => h.Name).SequenceEqual(SceneProbe.Heads.Select(h => h.Name)), option, $"{path} reads other attributes than the world's scene attributes");
            return p;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or KeyNotFoundException or JsonException)
        {
            throw new CliInputException($"{option} {path}: {e.Message}");
        }
    }

    /// <summary>The shipped world-clip model: models/world-clip beside the program (copied there by the build).</summary>
    public static string DefaultWorldClip() => Path.Combine(AppContext.BaseDirectory, "models", "world-clip");

    /// <summary>A Spectre console on stderr, so that stdout carries only results.</summary>
    public static IAnsiConsole ProgressConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>
    /// Runs <paramref name="step"/> from <paramref name="start"/> until it returns <paramref name="total"/> or the token is
    /// cancelled (then returns true). A Spectre progress bar on a terminal, a line every 10 steps otherwise.
    /// </summary>
    public static bool RunWithProgress(string title, int start, int total, Func<Action<int, string>, int> step, CancellationToken ct)
    {
        int done = start;
        if (done >= total)
        {
            return false;
        }

        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            bool stopped = false;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()).Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: total);
                task.Value = done;
                while (done < total)
                {
                    if (ct.IsCancellationRequested)
                    {
                        stopped = true;
                        return;
                    }

                    done = step((s, msg) =>
                    {
                        task.Value = s;
                        task.Description = Markup.Escape($"{title}: {s}/{total} {msg}");
                    });
                }
            });
            return stopped;
        }

        var sw = Stopwatch.StartNew();
        int first = done;
        while (done < total)
        {
            if (ct.IsCancellationRequested)
            {
                return true;
            }

            done = step((s, msg) =>
            {
                if (s % 10 == 0 || s == total)
                {
                    double per = sw.Elapsed.TotalSeconds / Math.Max(1, s - first);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}: {s}/{total} {msg} ({per:F2} s/step)"));
                }
            });
        }

        return false;
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and arrive late).</summary>
    public sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
