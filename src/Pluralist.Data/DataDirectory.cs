namespace Pluralist.Data;

/// <summary>The folder that holds one installation's database, images and outbox.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        DatabasePath = Path.Combine(Root, "pluralist.db");
        ImagesPath = Path.Combine(Root, "images");
        OutboxPath = Path.Combine(Root, "outbox");
    }

    /// <summary>Absolute path of the folder.</summary>
    public string Root { get; }

    /// <summary>The SQLite database file (Root/pluralist.db).</summary>
    public string DatabasePath { get; }

    public string ImagesPath { get; }

    /// <summary>Where outgoing emails are written when no mail server is configured.</summary>
    public string OutboxPath { get; }

    /// <summary>The folder named by <paramref name="option"/>, else env <c>PLURALIST_DATA</c>, else <c>./pluralist-data</c>.</summary>
    public static DataDirectory Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return new DataDirectory(option);
        }

        var env = Environment.GetEnvironmentVariable("PLURALIST_DATA");
        return new DataDirectory(string.IsNullOrWhiteSpace(env) ? "pluralist-data" : env);
    }

    /// <summary>Creates the folder and its images and outbox subfolders, owner-only (<see cref="OwnerOnly"/>).</summary>
    public void EnsureCreated()
    {
        OwnerOnly.CreateDirectory(Root);
        OwnerOnly.CreateDirectory(ImagesPath);
        OwnerOnly.CreateDirectory(OutboxPath);
    }
}
