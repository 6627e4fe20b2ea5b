using Microsoft.Data.Sqlite;

namespace Celeriac.Sqlite;

/// <summary>
/// One open connection with its prepared commands. Used by one operation at a time (rented from
/// <see cref="SqliteDatabase"/>), so preparing each statement once per connection is safe and saves the parse.
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<SqliteStatement, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

    public SqliteSession(string connectionString)
    {
        Connection = new SqliteConnection(connectionString);
        try
        {
            Connection.Open();
            using var pragmas = Connection.CreateCommand();
            pragmas.CommandText = SqliteSql.ConnectionPragmas;
            pragmas.ExecuteNonQuery();
        }
        catch
        {
            Connection.Dispose();
            throw;
        }
    }

    public SqliteConnection Connection { get; }

    /// <summary>The prepared command for <paramref name="statement"/>, its parameters set to <paramref name="values"/> in order.</summary>
    public SqliteCommand Command(SqliteStatement statement, params ReadOnlySpan<object?> values)
    {
        if (!_commands.TryGetValue(statement, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = statement.Sql;
            foreach (var name in statement.Parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _commands[statement] = command;
        }

        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>Runs a text once, unprepared (schema, pragmas).</summary>
    public void Execute(string sql)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a text once, unprepared, and returns the first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }
}
