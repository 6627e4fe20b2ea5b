namespace Celeriac.Conformance.Sqlite;

/// <summary>A fresh SQLite file path in its own temporary directory; <see cref="Delete"/> removes it with everything beside it.</summary>
public sealed class TempDatabase
{
    public TempDatabase()
    {
        DirectoryPath = Path.Combine(Path.GetTempPath(), "celeriac-tests", Guid.NewGuid().ToString("N"));
        FilePath = Path.Combine(DirectoryPath, "broker.db");
    }

    /// <summary>The directory holding the file (created by the transport or backend on open).</summary>
    public string DirectoryPath { get; }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>The URL: <c>sqlite:///</c> followed by the absolute path, i.e. four slashes.</summary>
    public string Url => "sqlite:///" + FilePath;

    public void Delete()
    {
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
