using Microsoft.Data.Sqlite;

namespace Celeriac.Dashboard.History;

/// <summary>Task rows to records and back, in the column order of <see cref="HistorySql.Columns"/>.</summary>
internal sealed partial class HistoryStore
{
    private static void Bind(SqliteCommand cmd, TaskRecord t)
    {
        cmd.Parameters.Clear();
        Add(cmd, "@id", t.Id);
        Add(cmd, "@state", t.State);
        Add(cmd, "@name", t.Name);
        Add(cmd, "@worker", t.Worker);
        Add(cmd, "@client", t.Client);
        Add(cmd, "@args", t.Args);
        Add(cmd, "@kwargs", t.Kwargs);
        Add(cmd, "@result", t.Result);
        Add(cmd, "@exception", t.Exception);
        Add(cmd, "@traceback", t.Traceback);
        Add(cmd, "@sent", t.Sent);
        Add(cmd, "@received", t.Received);
        Add(cmd, "@started", t.Started);
        Add(cmd, "@succeeded", t.Succeeded);
        Add(cmd, "@failed", t.Failed);
        Add(cmd, "@retried", t.Retried);
        Add(cmd, "@revoked", t.Revoked);
        Add(cmd, "@rejected", t.Rejected);
        Add(cmd, "@timestamp", t.Timestamp);
        Add(cmd, "@first_seen", t.FirstSeen);
        Add(cmd, "@runtime", t.Runtime);
        Add(cmd, "@retries", t.Retries);
        Add(cmd, "@eta", t.Eta);
        Add(cmd, "@expires", t.Expires);
        Add(cmd, "@parent_id", t.ParentId);
        Add(cmd, "@root_id", t.RootId);
        Add(cmd, "@exchange", t.Exchange);
        Add(cmd, "@routing_key", t.RoutingKey);
        Add(cmd, "@clock", t.Clock);
        Add(cmd, "@retry_of", t.RetryOf);
        Add(cmd, "@event_count", t.EventCount);
    }

    private static void Add(SqliteCommand cmd, string name, object? value) => cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);

    private static async Task<IReadOnlyList<TaskRecord>> ReadRecordsAsync(SqliteCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<TaskRecord>();
        using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TaskRecord
            {
                Id = r.GetString(0),
                State = r.GetString(1),
                Name = S(r, 2),
                Worker = S(r, 3),
                Client = S(r, 4),
                Args = S(r, 5),
                Kwargs = S(r, 6),
                Result = S(r, 7),
                Exception = S(r, 8),
                Traceback = S(r, 9),
                Sent = D(r, 10),
                Received = D(r, 11),
                Started = D(r, 12),
                Succeeded = D(r, 13),
                Failed = D(r, 14),
                Retried = D(r, 15),
                Revoked = D(r, 16),
                Rejected = D(r, 17),
                Timestamp = D(r, 18),
                FirstSeen = r.GetDouble(19),
                Runtime = D(r, 20),
                Retries = r.IsDBNull(21) ? null : r.GetInt32(21),
                Eta = S(r, 22),
                Expires = S(r, 23),
                ParentId = S(r, 24),
                RootId = S(r, 25),
                Exchange = S(r, 26),
                RoutingKey = S(r, 27),
                Clock = r.IsDBNull(28) ? null : r.GetInt64(28),
                RetryOf = S(r, 29),
                EventCount = r.GetInt32(30),
            });
        }

        return list;
    }

    private static string? S(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static double? D(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
}
