using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Celeriac.Dashboard.History;

/// <summary>
/// The task history in one SQLite file (WAL): tasks merged from their events, every event (the timeline), the
/// workers last seen, and queue-length samples. One writer at a time (a lock, so merging reads what the last write
/// left); readers use their own pooled connections and never wait for the writer. Recently touched tasks stay in a
/// bounded cache so that merging an event costs no read.
/// </summary>
internal sealed partial class HistoryStore : IAsyncDisposable
{
    private const int CacheSize = 20_000;

    // Fields of an event that the task_events row already holds in its own columns.
    private static readonly string[] EventColumns = ["uuid", "type", "timestamp"];

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, TaskRecord> _cache = new(StringComparer.Ordinal);
    private readonly Queue<string> _cacheOrder = new();
    private SqliteConnection? _writer;

    public HistoryStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    /// <summary>The history file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating when missing) the file and its schema.</summary>
    /// <exception cref="CeleriacConfigurationException">The file cannot be opened or was written by a newer dashboard.</exception>
    public async Task OpenAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir)
            {
                Directory.CreateDirectory(dir);
            }

            var writer = new SqliteConnection(_connectionString);
            await writer.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, HistorySql.Pragmas, cancellationToken).ConfigureAwait(false);
            var version = Convert.ToInt32(await ScalarAsync(writer, "PRAGMA user_version", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version > HistorySql.SchemaVersion)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                throw new CeleriacConfigurationException("--db", $"'{Path}' was written by a newer dashboard (schema {version}; this one reads {HistorySql.SchemaVersion})");
            }

            await ExecuteAsync(writer, HistorySql.Schema, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, $"PRAGMA user_version = {HistorySql.SchemaVersion}", cancellationToken).ConfigureAwait(false);
            _writer = writer;
        }
        catch (SqliteException ex)
        {
            throw new CeleriacConfigurationException("--db", $"cannot open the history file '{Path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Merges task events into their tasks and stores both, in one transaction; returns each changed task once, in
    /// its final form.
    /// </summary>
    public async Task<IReadOnlyList<TaskRecord>> WriteEventsAsync(IReadOnlyList<JsonObject> events, CancellationToken cancellationToken = default)
    {
        var changed = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);

        // Each task's search text before this batch: the index is rewritten only when it changed.
        var before = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (events.Count == 0)
        {
            return [];
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var db = Writer;
            using var tx = db.BeginTransaction();
            using var insertEvent = Command(db, HistorySql.InsertEvent, tx);
            foreach (var e in events)
            {
                if (TaskEventMerge.Str(e, "uuid") is not { Length: > 0 } id)
                {
                    continue;
                }

                TaskRecord? current;
                if (changed.TryGetValue(id, out var c))
                {
                    current = c;
                }
                else
                {
                    current = await FindForWriteAsync(db, tx, id, cancellationToken).ConfigureAwait(false);
                    before[id] = current is null ? null : HistorySql.SearchText(current);
                }

                changed[id] = TaskEventMerge.Apply(current, id, e);

                var fields = (JsonObject)e.DeepClone();
                foreach (var column in EventColumns)
                {
                    fields.Remove(column);
                }

                insertEvent.Parameters.Clear();
                insertEvent.Parameters.AddWithValue("@task_id", id);
                insertEvent.Parameters.AddWithValue("@type", TaskEventMerge.Str(e, "type") ?? string.Empty);
                insertEvent.Parameters.AddWithValue("@timestamp", (object?)TaskEventMerge.Num(e, "timestamp") ?? DBNull.Value);
                insertEvent.Parameters.AddWithValue("@fields", fields.ToJsonString());
                await insertEvent.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using var upsert = Command(db, HistorySql.Upsert, tx);
            using var deleteText = Command(db, HistorySql.DeleteText, tx);
            using var insertText = Command(db, HistorySql.InsertText, tx);
            foreach (var record in changed.Values)
            {
                Bind(upsert, record);
                var seq = Convert.ToInt64(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                var text = HistorySql.SearchText(record);
                if (!before.TryGetValue(record.Id, out var old) || old != text)
                {
                    await WriteTextAsync(deleteText, insertText, seq, text, old is not null, cancellationToken).ConfigureAwait(false);
                }
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var record in changed.Values)
            {
                Remember(record);
            }
        }
        catch
        {
            // The transaction rolled back: what the cache holds may be ahead of the file now.
            ForgetCache();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }

        return [.. changed.Values];
    }

    /// <summary>Stores a task the dashboard itself sent (a retry, an API call) before any event about it arrives.</summary>
    public async Task<TaskRecord> AddSentAsync(TaskRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var db = Writer;
            var current = await FindForWriteAsync(db, null, record.Id, cancellationToken).ConfigureAwait(false);

            // Events may have overtaken the send: keep what they said, and add the link.
            var merged = current is null ? record : current with
            {
                RetryOf = record.RetryOf ?? current.RetryOf,
                Client = current.Client ?? record.Client,
                Sent = current.Sent ?? record.Sent,
                RoutingKey = current.RoutingKey ?? record.RoutingKey,
                FirstSeen = Math.Min(current.FirstSeen, record.FirstSeen),
            };
            using var tx = db.BeginTransaction();
            using var upsert = Command(db, HistorySql.Upsert, tx);
            Bind(upsert, merged);
            var seq = Convert.ToInt64(await upsert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            using var deleteText = Command(db, HistorySql.DeleteText, tx);
            using var insertText = Command(db, HistorySql.InsertText, tx);
            await WriteTextAsync(deleteText, insertText, seq, HistorySql.SearchText(merged), current is not null, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            Remember(merged);
            return merged;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>A task by id, or null.</summary>
    public async Task<TaskRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return await FindAsync(db, null, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A task's events in arrival order: its type, time and the event's other fields.</summary>
    public async Task<IReadOnlyList<(string Type, double? Timestamp, JsonObject Fields)>> GetEventsAsync(string id, CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.SelectEvents, null);
        cmd.Parameters.AddWithValue("@id", id);
        var list = new List<(string, double?, JsonObject)>();
        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var fields = JsonNode.Parse(reader.GetString(2)) as JsonObject ?? [];
            list.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetDouble(1), fields));
        }

        return list;
    }

    /// <summary>Tasks whose parent is <paramref name="id"/>.</summary>
    public Task<IReadOnlyList<TaskRecord>> GetChildrenAsync(string id, CancellationToken cancellationToken = default) =>
        ListAsync(HistorySql.SelectChildren, id, cancellationToken);

    /// <summary>Tasks the dashboard sent to re-run <paramref name="id"/>.</summary>
    public Task<IReadOnlyList<TaskRecord>> GetRetriesAsync(string id, CancellationToken cancellationToken = default) =>
        ListAsync(HistorySql.SelectRetries, id, cancellationToken);

    /// <summary>How many tasks are kept.</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(await ScalarAsync(db, HistorySql.TaskCount, cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The task names seen (Flower's task types).</summary>
    public async Task<IReadOnlyList<string>> GetTaskNamesAsync(CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.TaskNames, null);
        var names = new List<string>();
        using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>
    /// Removes tasks first seen before <paramref name="cutoff"/>, then all but the newest <paramref name="keep"/>, with
    /// their events; queue samples and offline workers older than the cutoff go too. Returns the tasks removed.
    /// </summary>
    public async Task<int> PruneAsync(double cutoff, int keep, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var db = Writer;
            using var tx = db.BeginTransaction();
            var removed = 0;
            foreach (var (sql, name, value) in new (string, string, object)[]
            {
                (HistorySql.PruneTextByAge, "@cutoff", cutoff),
                (HistorySql.PruneEventsByAge, "@cutoff", cutoff),
                (HistorySql.PruneTasksByAge, "@cutoff", cutoff),
                (HistorySql.PruneTextByCount, "@keep", keep),
                (HistorySql.PruneEventsByCount, "@keep", keep),
                (HistorySql.PruneTasksByCount, "@keep", keep),
                (HistorySql.PruneQueueSamples, "@cutoff", cutoff),
                (HistorySql.PruneWorkers, "@cutoff", cutoff),
            })
            {
                using var cmd = Command(db, sql, tx);
                cmd.Parameters.AddWithValue(name, value);
                var n = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (sql == HistorySql.PruneTasksByAge || sql == HistorySql.PruneTasksByCount)
                {
                    removed += n;
                }
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (removed > 0)
            {
                ForgetCache();
            }

            return removed;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        // Pooled reader connections would keep the file (and its WAL) open after the dashboard stops.
        SqliteConnection.ClearAllPools();
    }

    private SqliteConnection Writer => _writer ?? throw new InvalidOperationException("the history store is not open");

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var db = new SqliteConnection(_connectionString);
        await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return db;
    }

    private async Task<IReadOnlyList<TaskRecord>> ListAsync(string sql, string id, CancellationToken cancellationToken)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, sql, null);
        cmd.Parameters.AddWithValue("@id", id);
        return await ReadRecordsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TaskRecord?> FindForWriteAsync(SqliteConnection db, SqliteTransaction? tx, string id, CancellationToken cancellationToken) =>
        _cache.TryGetValue(id, out var cached) ? cached : await FindAsync(db, tx, id, cancellationToken).ConfigureAwait(false);

    private static async Task<TaskRecord?> FindAsync(SqliteConnection db, SqliteTransaction? tx, string id, CancellationToken cancellationToken)
    {
        using var cmd = Command(db, HistorySql.SelectTask, tx);
        cmd.Parameters.AddWithValue("@id", id);
        var list = await ReadRecordsAsync(cmd, cancellationToken).ConfigureAwait(false);
        return list.Count > 0 ? list[0] : null;
    }

    private static async Task WriteTextAsync(SqliteCommand delete, SqliteCommand insert, long seq, string text, bool existed, CancellationToken cancellationToken)
    {
        if (existed)
        {
            delete.Parameters.Clear();
            delete.Parameters.AddWithValue("@seq", seq);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        insert.Parameters.Clear();
        insert.Parameters.AddWithValue("@seq", seq);
        insert.Parameters.AddWithValue("@body", text);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Remember(TaskRecord record)
    {
        if (!_cache.ContainsKey(record.Id))
        {
            _cacheOrder.Enqueue(record.Id);
        }

        _cache[record.Id] = record;
        while (_cache.Count > CacheSize && _cacheOrder.TryDequeue(out var oldest))
        {
            _cache.Remove(oldest);
        }
    }

    private void ForgetCache()
    {
        _cache.Clear();
        _cacheOrder.Clear();
    }

    private static SqliteCommand Command(SqliteConnection db, string sql, SqliteTransaction? tx)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static async Task ExecuteAsync(SqliteConnection db, string sql, CancellationToken cancellationToken)
    {
        using var cmd = Command(db, sql, null);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection db, string sql, CancellationToken cancellationToken)
    {
        using var cmd = Command(db, sql, null);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
