namespace Celeriac.Sqlite;

/// <summary>A SQL text and its parameter names, in the order callers set them; prepared once per connection.</summary>
internal sealed class SqliteStatement
{
    /// <summary>Creates the statement.</summary>
    public SqliteStatement(string sql, params string[] parameters)
    {
        Sql = sql;
        Parameters = parameters;
    }

    /// <summary>The SQL text.</summary>
    public string Sql { get; }

    /// <summary>The parameter names.</summary>
    public IReadOnlyList<string> Parameters { get; }
}
