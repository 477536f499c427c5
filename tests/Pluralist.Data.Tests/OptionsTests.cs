namespace Pluralist.Data.Tests;

public sealed class OptionsTests
{
    private static readonly DataDirectory Data = new("/srv/pluralist");

    [Fact]
    public void Data_directory_lays_out_its_files_under_an_absolute_root()
    {
        var data = new DataDirectory("relative/dir");
        Assert.True(Path.IsPathRooted(data.Root));
        Assert.Equal(Path.Combine(data.Root, "pluralist.db"), data.DatabasePath);
        Assert.Equal(Path.Combine(data.Root, "images"), data.ImagesPath);
        Assert.Equal(Path.Combine(data.Root, "outbox"), data.OutboxPath);
        Assert.Equal(Path.GetFullPath("/tmp/x"), DataDirectory.Resolve("/tmp/x").Root);

        var temp = Path.Combine(Path.GetTempPath(), "pluralist-dd-" + Guid.NewGuid().ToString("N"));
        try
        {
            new DataDirectory(temp).EnsureCreated();
            Assert.True(Directory.Exists(Path.Combine(temp, "images")));
            Assert.True(Directory.Exists(Path.Combine(temp, "outbox")));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Theory]
    [InlineData("sqlite", DatabaseProvider.Sqlite)]
    [InlineData("SQLite", DatabaseProvider.Sqlite)]
    [InlineData("postgres", DatabaseProvider.Postgres)]
    [InlineData("postgresql", DatabaseProvider.Postgres)]
    public void Explicit_provider_and_connection_win(string name, DatabaseProvider expected)
    {
        var options = DatabaseOptions.Resolve(Data, name, "Host=db;Database=p");
        Assert.Equal(new DatabaseOptions(expected, "Host=db;Database=p"), options);
    }

    [Fact]
    public void Unknown_provider_is_named_in_the_error()
    {
        var error = Assert.Throws<ArgumentException>(() => DatabaseOptions.Resolve(Data, "mysql"));
        Assert.Contains("'mysql'", error.Message, StringComparison.Ordinal);
        Assert.Contains("sqlite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_fills_what_options_leave_out()
    {
        var oldDb = Environment.GetEnvironmentVariable("PLURALIST_DB");
        var oldConnection = Environment.GetEnvironmentVariable("PLURALIST_CONNECTION");
        var oldData = Environment.GetEnvironmentVariable("PLURALIST_DATA");
        try
        {
            Environment.SetEnvironmentVariable("PLURALIST_DB", null);
            Environment.SetEnvironmentVariable("PLURALIST_CONNECTION", null);
            Environment.SetEnvironmentVariable("PLURALIST_DATA", null);
            Assert.Equal(new DatabaseOptions(DatabaseProvider.Sqlite, $"Data Source={Data.DatabasePath}"), DatabaseOptions.Resolve(Data));
            Assert.Equal(Path.GetFullPath("pluralist-data"), DataDirectory.Resolve(null).Root);
            var error = Assert.Throws<ArgumentException>(() => DatabaseOptions.Resolve(Data, "postgres"));
            Assert.Contains("PLURALIST_CONNECTION", error.Message, StringComparison.Ordinal);

            Environment.SetEnvironmentVariable("PLURALIST_DB", "postgresql");
            Environment.SetEnvironmentVariable("PLURALIST_CONNECTION", "Host=env;Password=secret");
            Environment.SetEnvironmentVariable("PLURALIST_DATA", "/var/lib/pluralist");
            var options = DatabaseOptions.Resolve(Data);
            Assert.Equal(new DatabaseOptions(DatabaseProvider.Postgres, "Host=env;Password=secret"), options);
            Assert.DoesNotContain("secret", options.ToString(), StringComparison.Ordinal);
            Assert.Equal(DatabaseProvider.Sqlite, DatabaseOptions.Resolve(Data, "sqlite", "Data Source=x.db").Provider);
            Assert.Equal(Path.GetFullPath("/var/lib/pluralist"), DataDirectory.Resolve(null).Root);
            Assert.Equal(Path.GetFullPath("/opt/p"), DataDirectory.Resolve("/opt/p").Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PLURALIST_DB", oldDb);
            Environment.SetEnvironmentVariable("PLURALIST_CONNECTION", oldConnection);
            Environment.SetEnvironmentVariable("PLURALIST_DATA", oldData);
        }
    }

    [Fact]
    public void Snake_case_separates_words_and_digits()
    {
        Assert.Equal("image_0_id", PluralistDbContext.SnakeCase("Image0Id"));
        Assert.Equal("image_0_on_left", PluralistDbContext.SnakeCase("Image0OnLeft"));
        Assert.Equal("client_duration_ms", PluralistDbContext.SnakeCase("ClientDurationMs"));
        Assert.Equal("id", PluralistDbContext.SnakeCase("Id"));
    }
}
