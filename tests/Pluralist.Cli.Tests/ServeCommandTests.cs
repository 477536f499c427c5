namespace Pluralist.Cli.Tests;

/// <summary><c>pluralist serve --telemetry</c>: a value outside none, console, otlp is bad input, refused before anything is created.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void An_unknown_telemetry_exporter_is_refused_naming_the_option_and_nothing_is_created()
    {
        var (code, _, err) = CliRunner.Run(_dir, "serve", "--telemetry", "zipkin", "--data", "d");
        Assert.Equal(1, code);
        Assert.Contains("--telemetry: 'zipkin' is not one of none, console, otlp", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "d")));
    }
}
