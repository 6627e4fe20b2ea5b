using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Celeriac.Dashboard.History;

/// <summary>The list page, the overview's aggregates, workers and queue samples.</summary>
internal sealed partial class HistoryStore
{
    /// <summary>One page of tasks matching <paramref name="query"/>, and how many match.</summary>
    /// <exception cref="FormatException">The search text is malformed.</exception>
    public async Task<TaskPage> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        var parameters = new List<KeyValuePair<string, object>>();
        if (query.States.Count > 0)
        {
            var names = new List<string>();
            foreach (var state in query.States)
            {
                var p = "@st" + names.Count.ToString(CultureInfo.InvariantCulture);
                names.Add(p);
                parameters.Add(new(p, state));
            }

            where.Add($"state IN ({string.Join(", ", names)})");
        }

        Filter(where, parameters, "name = @name", "@name", query.Name);
        Filter(where, parameters, "worker = @worker", "@worker", query.Worker);
        Filter(where, parameters, "first_seen >= @seen_from", "@seen_from", query.SeenFrom);
        Filter(where, parameters, "first_seen < @seen_to", "@seen_to", query.SeenTo);
        Filter(where, parameters, "received >= @received_from", "@received_from", query.ReceivedFrom);
        Filter(where, parameters, "received < @received_to", "@received_to", query.ReceivedTo);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            TaskSearch.Compile(query.Search, where, parameters);
        }

        var clause = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        var order = query.Sort switch
        {
            TaskSort.Name => "name",
            TaskSort.State => "state",
            TaskSort.Worker => "worker",
            TaskSort.Received => "received",
            TaskSort.Started => "started",
            TaskSort.Runtime => "runtime",
            _ => "first_seen",
        };
        var direction = query.Descending ? "DESC" : "ASC";
        var tiebreak = order == "first_seen" ? string.Empty : $", first_seen {direction}";

        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);

        // Both statements in one read transaction: the count and the page describe the same snapshot.
        using var tx = db.BeginTransaction(deferred: true);
        using var count = Command(db, "SELECT COUNT(*) FROM tasks" + clause, tx);
        using var page = Command(db, $"SELECT {HistorySql.Columns} FROM tasks{clause} ORDER BY {order} {direction}{tiebreak} LIMIT @limit OFFSET @offset", tx);
        foreach (var (name, value) in parameters)
        {
            count.Parameters.AddWithValue(name, value);
            page.Parameters.AddWithValue(name, value);
        }

        page.Parameters.AddWithValue("@limit", Math.Clamp(query.Limit, 1, 1000));
        page.Parameters.AddWithValue("@offset", Math.Max(query.Offset, 0));
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var items = await ReadRecordsAsync(page, cancellationToken).ConfigureAwait(false);
        return new TaskPage(total, items);
    }

    /// <summary>Tasks that succeeded and failed in each minute since <paramref name="since"/> (minute = UNIX seconds / 60).</summary>
    public async Task<(IReadOnlyDictionary<long, long> Succeeded, IReadOnlyDictionary<long, long> Failed)> ThroughputAsync(double since, CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return (await PerMinuteAsync(db, HistorySql.SucceededPerMinute, since, cancellationToken).ConfigureAwait(false),
            await PerMinuteAsync(db, HistorySql.FailedPerMinute, since, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Runtimes of the tasks that succeeded since <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<(double Succeeded, double Runtime)>> RuntimesAsync(double since, int limit, CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.RecentRuntimes, null);
        cmd.Parameters.AddWithValue("@since", since);
        cmd.Parameters.AddWithValue("@limit", limit);
        var list = new List<(double, double)>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((r.GetDouble(0), r.GetDouble(1)));
        }

        return list;
    }

    /// <summary>How many tasks are in each state.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.CountByState, null);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[r.GetString(0)] = r.GetInt64(1);
        }

        return counts;
    }

    /// <summary>How many tasks of each name are in each state.</summary>
    public async Task<IReadOnlyList<(string Name, string State, long Count)>> CountByNameAndStateAsync(CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.CountByNameAndState, null);
        var list = new List<(string, string, long)>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((r.IsDBNull(0) ? string.Empty : r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }

        return list;
    }

    /// <summary>Records a worker as last seen (its last event and, when known, its inspect replies).</summary>
    public async Task SaveWorkerAsync(string hostname, double lastSeen, bool offline, JsonObject? lastEvent, JsonObject? info, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cmd = Command(Writer, HistorySql.UpsertWorker, null);
            cmd.Parameters.AddWithValue("@hostname", hostname);
            cmd.Parameters.AddWithValue("@last_seen", lastSeen);
            cmd.Parameters.AddWithValue("@offline", offline ? 1 : 0);
            cmd.Parameters.AddWithValue("@last_event", (object?)lastEvent?.ToJsonString() ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@info", (object?)info?.ToJsonString() ?? DBNull.Value);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Every worker recorded.</summary>
    public async Task<IReadOnlyList<StoredWorker>> GetWorkersAsync(CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.SelectWorkers, null);
        var list = new List<StoredWorker>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new StoredWorker(
                r.GetString(0),
                r.GetDouble(1),
                r.GetInt32(2) != 0,
                r.IsDBNull(3) ? null : JsonNode.Parse(r.GetString(3)) as JsonObject,
                r.IsDBNull(4) ? null : JsonNode.Parse(r.GetString(4)) as JsonObject));
        }

        return list;
    }

    /// <summary>Stores one sample of every queue's length.</summary>
    public async Task AddQueueSamplesAsync(double timestamp, IReadOnlyDictionary<string, long> lengths, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var db = Writer;
            using var tx = db.BeginTransaction();
            using var cmd = Command(db, HistorySql.InsertQueueSample, tx);
            foreach (var (queue, length) in lengths)
            {
                cmd.Parameters.Clear();
                cmd.Parameters.AddWithValue("@timestamp", timestamp);
                cmd.Parameters.AddWithValue("@queue", queue);
                cmd.Parameters.AddWithValue("@length", length);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Queue-length samples since <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<(double Timestamp, string Queue, long Length)>> GetQueueSamplesAsync(double since, CancellationToken cancellationToken = default)
    {
        using var db = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var cmd = Command(db, HistorySql.SelectQueueSamples, null);
        cmd.Parameters.AddWithValue("@since", since);
        var list = new List<(double, string, long)>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((r.GetDouble(0), r.GetString(1), r.GetInt64(2)));
        }

        return list;
    }

    private static void Filter(List<string> where, List<KeyValuePair<string, object>> parameters, string condition, string name, object? value)
    {
        if (value is null || value is string { Length: 0 })
        {
            return;
        }

        where.Add(condition);
        parameters.Add(new(name, value));
    }

    private static async Task<IReadOnlyDictionary<long, long>> PerMinuteAsync(SqliteConnection db, string sql, double since, CancellationToken cancellationToken)
    {
        using var cmd = Command(db, sql, null);
        cmd.Parameters.AddWithValue("@since", since);
        var map = new Dictionary<long, long>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            map[r.GetInt64(0)] = r.GetInt64(1);
        }

        return map;
    }
}
