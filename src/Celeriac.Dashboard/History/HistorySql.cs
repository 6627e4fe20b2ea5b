namespace Celeriac.Dashboard.History;

/// <summary>
/// The history file's schema and statements, in one place. Times are UNIX seconds (REAL). The list page reads
/// through the <c>first_seen</c> indexes (alone, or after state, name or worker), so a page of the newest tasks costs
/// the same with 100 or 100,000 tasks kept.
/// </summary>
internal static class HistorySql
{
    public const int SchemaVersion = 1;

    /// <summary>The text a task is found by.</summary>
    public static string SearchText(TaskRecord t) => string.Join('\n', t.Name, t.Args, t.Kwargs, t.Result, t.Exception);

    public const string Pragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA busy_timeout = 5000;
        PRAGMA temp_store = MEMORY;
        """;

    public const string Schema = """
        CREATE TABLE IF NOT EXISTS tasks (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            name TEXT,
            worker TEXT,
            client TEXT,
            args TEXT,
            kwargs TEXT,
            result TEXT,
            exception TEXT,
            traceback TEXT,
            sent REAL,
            received REAL,
            started REAL,
            succeeded REAL,
            failed REAL,
            retried REAL,
            revoked REAL,
            rejected REAL,
            timestamp REAL,
            first_seen REAL NOT NULL,
            runtime REAL,
            retries INTEGER,
            eta TEXT,
            expires TEXT,
            parent_id TEXT,
            root_id TEXT,
            exchange TEXT,
            routing_key TEXT,
            clock INTEGER,
            retry_of TEXT,
            event_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS tasks_first_seen ON tasks (first_seen);
        CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state, first_seen);
        CREATE INDEX IF NOT EXISTS tasks_name ON tasks (name, first_seen);
        CREATE INDEX IF NOT EXISTS tasks_worker ON tasks (worker, first_seen);
        CREATE INDEX IF NOT EXISTS tasks_received ON tasks (received);
        CREATE INDEX IF NOT EXISTS tasks_succeeded ON tasks (succeeded);
        CREATE INDEX IF NOT EXISTS tasks_failed ON tasks (failed);
        CREATE INDEX IF NOT EXISTS tasks_parent ON tasks (parent_id);
        CREATE INDEX IF NOT EXISTS tasks_retry_of ON tasks (retry_of);
        CREATE INDEX IF NOT EXISTS tasks_name_state ON tasks (name, state);
        CREATE INDEX IF NOT EXISTS tasks_root ON tasks (root_id);
        CREATE INDEX IF NOT EXISTS tasks_runtime ON tasks (runtime);

        -- The searchable text of each task (name, args, kwargs, result, exception), rowid = tasks.seq: a trigram index
        -- answers substring searches without reading every task.
        CREATE VIRTUAL TABLE IF NOT EXISTS task_text USING fts5 (body, tokenize = 'trigram');

        CREATE TABLE IF NOT EXISTS task_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id TEXT NOT NULL,
            type TEXT NOT NULL,
            timestamp REAL,
            fields TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS task_events_task ON task_events (task_id, seq);

        CREATE TABLE IF NOT EXISTS workers (
            hostname TEXT PRIMARY KEY NOT NULL,
            last_seen REAL NOT NULL,
            offline INTEGER NOT NULL,
            last_event TEXT,
            info TEXT
        );

        CREATE TABLE IF NOT EXISTS queue_samples (
            timestamp REAL NOT NULL,
            queue TEXT NOT NULL,
            length INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS queue_samples_time ON queue_samples (timestamp);
        """;

    public const string Columns =
        "id, state, name, worker, client, args, kwargs, result, exception, traceback, sent, received, started, succeeded, failed, " +
        "retried, revoked, rejected, timestamp, first_seen, runtime, retries, eta, expires, parent_id, root_id, exchange, routing_key, " +
        "clock, retry_of, event_count";

    public const string Upsert = $"""
        INSERT INTO tasks ({Columns}) VALUES (@id, @state, @name, @worker, @client, @args, @kwargs, @result, @exception, @traceback,
            @sent, @received, @started, @succeeded, @failed, @retried, @revoked, @rejected, @timestamp, @first_seen, @runtime, @retries,
            @eta, @expires, @parent_id, @root_id, @exchange, @routing_key, @clock, @retry_of, @event_count)
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, name = excluded.name, worker = excluded.worker, client = excluded.client,
            args = excluded.args, kwargs = excluded.kwargs, result = excluded.result, exception = excluded.exception,
            traceback = excluded.traceback, sent = excluded.sent, received = excluded.received, started = excluded.started,
            succeeded = excluded.succeeded, failed = excluded.failed, retried = excluded.retried, revoked = excluded.revoked,
            rejected = excluded.rejected, timestamp = excluded.timestamp, first_seen = excluded.first_seen, runtime = excluded.runtime,
            retries = excluded.retries, eta = excluded.eta, expires = excluded.expires, parent_id = excluded.parent_id,
            root_id = excluded.root_id, exchange = excluded.exchange, routing_key = excluded.routing_key, clock = excluded.clock,
            retry_of = excluded.retry_of, event_count = excluded.event_count
        RETURNING seq
        """;

    public const string DeleteText = "DELETE FROM task_text WHERE rowid = @seq";

    public const string InsertText = "INSERT INTO task_text (rowid, body) VALUES (@seq, @body)";

    public const string InsertEvent = "INSERT INTO task_events (task_id, type, timestamp, fields) VALUES (@task_id, @type, @timestamp, @fields)";

    public const string SelectTask = $"SELECT {Columns} FROM tasks WHERE id = @id";

    public const string SelectEvents = "SELECT type, timestamp, fields FROM task_events WHERE task_id = @id ORDER BY seq";

    public const string SelectChildren = $"SELECT {Columns} FROM tasks WHERE parent_id = @id ORDER BY first_seen LIMIT 500";

    public const string SelectRetries = $"SELECT {Columns} FROM tasks WHERE retry_of = @id ORDER BY first_seen";

    public const string UpsertWorker = """
        INSERT INTO workers (hostname, last_seen, offline, last_event, info) VALUES (@hostname, @last_seen, @offline, @last_event, @info)
        ON CONFLICT (hostname) DO UPDATE SET last_seen = excluded.last_seen, offline = excluded.offline,
            last_event = COALESCE(excluded.last_event, workers.last_event), info = COALESCE(excluded.info, workers.info)
        """;

    public const string SelectWorkers = "SELECT hostname, last_seen, offline, last_event, info FROM workers ORDER BY hostname";

    public const string InsertQueueSample = "INSERT INTO queue_samples (timestamp, queue, length) VALUES (@timestamp, @queue, @length)";

    public const string SelectQueueSamples = "SELECT timestamp, queue, length FROM queue_samples WHERE timestamp >= @since ORDER BY timestamp";

    public const string SucceededPerMinute = "SELECT CAST(succeeded / 60 AS INTEGER), COUNT(*) FROM tasks WHERE succeeded >= @since GROUP BY 1";

    public const string FailedPerMinute = "SELECT CAST(failed / 60 AS INTEGER), COUNT(*) FROM tasks WHERE failed >= @since GROUP BY 1";

    public const string RecentRuntimes = "SELECT succeeded, runtime FROM tasks WHERE succeeded >= @since AND runtime IS NOT NULL ORDER BY succeeded DESC LIMIT @limit";

    public const string CountByState = "SELECT state, COUNT(*) FROM tasks GROUP BY state";

    public const string CountByNameAndState = "SELECT name, state, COUNT(*) FROM tasks GROUP BY name, state";

    public const string TaskNames = "SELECT DISTINCT name FROM tasks WHERE name IS NOT NULL ORDER BY name";

    public const string TaskCount = "SELECT COUNT(*) FROM tasks";

    // Pruning: events and search text first, then their tasks, by age and then by count (newest kept).
    public const string PruneTextByAge = "DELETE FROM task_text WHERE rowid IN (SELECT seq FROM tasks WHERE first_seen < @cutoff)";

    public const string PruneTextByCount = "DELETE FROM task_text WHERE rowid IN (SELECT seq FROM tasks ORDER BY first_seen DESC LIMIT -1 OFFSET @keep)";

    public const string PruneEventsByAge = "DELETE FROM task_events WHERE task_id IN (SELECT id FROM tasks WHERE first_seen < @cutoff)";

    public const string PruneTasksByAge = "DELETE FROM tasks WHERE first_seen < @cutoff";

    public const string PruneEventsByCount = "DELETE FROM task_events WHERE task_id IN (SELECT id FROM tasks ORDER BY first_seen DESC LIMIT -1 OFFSET @keep)";

    public const string PruneTasksByCount = "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks ORDER BY first_seen DESC LIMIT -1 OFFSET @keep)";

    public const string PruneQueueSamples = "DELETE FROM queue_samples WHERE timestamp < @cutoff";

    public const string PruneWorkers = "DELETE FROM workers WHERE offline = 1 AND last_seen < @cutoff";
}
