using Celeriac.Transport;

namespace Celeriac.Sqlite;

/// <summary>
/// Turns <c>sqlite:///relative/path.db</c> (relative to the current directory) and <c>sqlite:////abs/path.db</c>
/// into a full file path, following SQLAlchemy's convention as Celery's database backend does.
/// </summary>
internal static class SqliteUrl
{
    /// <summary>The full path of the database file, its parent directory created when missing.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="settingKey">The setting the URL came from, for messages (<c>broker_url</c>, <c>result_backend</c>).</param>
    /// <exception cref="CeleriacConfigurationException">The URL names no usable file path.</exception>
    public static string ResolvePath(BrokerUrl url, string settingKey)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Host.Length > 0 || url.Port is not null)
        {
            throw new CeleriacConfigurationException(
                settingKey,
                $"'{url.Redacted}' names a host, but a SQLite database is a local file: use sqlite:///relative/path.db or sqlite:////absolute/path.db (three slashes, then the path)");
        }

        var path = url.Path;
        if (path.Length == 0)
        {
            throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}' names no file: use e.g. sqlite:///celeriac.db");
        }

        if (path.StartsWith(":memory:", StringComparison.Ordinal) || path.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            throw new CeleriacConfigurationException(
                settingKey,
                $"'{url.Redacted}': in-memory and URI-form SQLite databases cannot be shared between connections; use memory:// for an in-process broker, or a file path");
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CeleriacConfigurationException(settingKey, $"cannot use SQLite database path '{path}' from '{url.Redacted}': {ex.Message}", ex);
        }

        if (Directory.Exists(full))
        {
            throw new CeleriacConfigurationException(settingKey, $"'{full}' (from '{url.Redacted}') is a directory, not a SQLite database file");
        }

        return full;
    }
}
