namespace Celeriac.Sqlite;

/// <summary>
/// Every SQL text of the SQLite transport and result backend, in one place. Times are UNIX milliseconds from the
/// transport's or backend's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// The message table is kombu's virtual transport on SQL: a row is a queued message (the kombu envelope, as a
/// Redis list element would hold it); <c>lease_until IS NULL</c> means ready, a past <c>lease_until</c> means the
/// consumer holding it vanished and it is ready again (kombu's <c>restore_visible</c>, without the sweep).
/// The row id gives FIFO order and is kept on requeue, so a requeued message keeps its place in line.
/// </remarks>
internal static class SqliteSql
{
    /// <summary>Run on every new connection: these settings are per connection.</summary>
    /// <remarks>
    /// busy_timeout makes SQLite itself wait for another process's write lock (in-process writers queue on
    /// <see cref="SqliteDatabase"/>'s gate instead); synchronous=NORMAL in WAL mode loses no committed data on a process
    /// crash and skips the fsync per commit (a power loss may drop the last commits, never corrupt the file).
    /// </remarks>
    public const string ConnectionPragmas = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

    /// <summary>Switches the file to write-ahead logging (persistent): readers never block the writer and vice versa.</summary>
    public const string JournalModeWal = "PRAGMA journal_mode = WAL;";

    /// <summary>The schema, idempotent; run in one transaction when a process first opens the file.</summary>
    public const string CreateSchema = """
        BEGIN IMMEDIATE;
        CREATE TABLE IF NOT EXISTS celeriac_messages (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            queue       TEXT    NOT NULL,
            priority    INTEGER NOT NULL DEFAULT 0,
            envelope    BLOB    NOT NULL,
            lease_owner TEXT,
            lease_until INTEGER,
            deliveries  INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS celeriac_messages_ready ON celeriac_messages (queue, priority, id) WHERE lease_until IS NULL;
        CREATE INDEX IF NOT EXISTS celeriac_messages_leased ON celeriac_messages (lease_until) WHERE lease_until IS NOT NULL;
        CREATE INDEX IF NOT EXISTS celeriac_messages_owner ON celeriac_messages (lease_owner) WHERE lease_owner IS NOT NULL;
        CREATE TABLE IF NOT EXISTS celeriac_bindings (
            exchange    TEXT NOT NULL,
            routing_key TEXT NOT NULL,
            queue       TEXT NOT NULL,
            PRIMARY KEY (exchange, routing_key, queue)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS celeriac_results (
            key        TEXT NOT NULL PRIMARY KEY,
            value      BLOB NOT NULL,
            expires_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS celeriac_results_expires ON celeriac_results (expires_at) WHERE expires_at IS NOT NULL;
        COMMIT;
        """;

    /// <summary>Appends a message to a queue.</summary>
    public static readonly SqliteStatement Put = new(
        "INSERT INTO celeriac_messages (queue, priority, envelope) VALUES ($queue, $priority, $envelope);",
        "$queue",
        "$priority",
        "$envelope");

    /// <summary>
    /// Whether a queue has a visible message. A read, so an idle consumer looking at an empty queue does not take
    /// the file's write lock that publishers in every process need.
    /// </summary>
    public static readonly SqliteStatement HasVisible = new(
        """
        SELECT EXISTS (SELECT 1 FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL)
            OR EXISTS (SELECT 1 FROM celeriac_messages WHERE lease_until < $now AND queue = $queue);
        """,
        "$queue",
        "$now");

    /// <summary>
    /// Leases the next visible message of a queue in one atomic statement: the best ready row (partial index
    /// <c>celeriac_messages_ready</c>) or the best row whose lease expired (index <c>celeriac_messages_leased</c>,
    /// usually an empty range), lowest priority number first, then oldest — the order of MemoryBroker.
    /// <c>deliveries</c> counts leases: above 1 means redelivered, and it identifies this lease for ack and requeue.
    /// </summary>
    public static readonly SqliteStatement Lease = new(
        """
        UPDATE celeriac_messages
        SET lease_owner = $owner, lease_until = $until, deliveries = deliveries + 1
        WHERE id = (
            SELECT id FROM (
                SELECT id, priority FROM (
                    SELECT id, priority FROM celeriac_messages
                    WHERE queue = $queue AND lease_until IS NULL
                    ORDER BY priority, id LIMIT 1)
                UNION ALL
                SELECT id, priority FROM (
                    SELECT id, priority FROM celeriac_messages
                    WHERE lease_until < $now AND queue = $queue
                    ORDER BY priority, id LIMIT 1))
            ORDER BY priority, id LIMIT 1)
        RETURNING id, envelope, deliveries;
        """,
        "$owner",
        "$until",
        "$queue",
        "$now");

    /// <summary>
    /// Deletes a message, only if it is still held under the same lease (a lost lease means someone else has it);
    /// <c>$deliveries</c> = -1 matches any lease.
    /// </summary>
    public static readonly SqliteStatement Ack = new(
        "DELETE FROM celeriac_messages WHERE id = $id AND (deliveries = $deliveries OR $deliveries = -1);",
        "$id",
        "$deliveries");

    /// <summary>Makes a leased message ready again, keeping its row id and so its place in line.</summary>
    public static readonly SqliteStatement Requeue = new(
        "UPDATE celeriac_messages SET lease_owner = NULL, lease_until = NULL WHERE id = $id AND (deliveries = $deliveries OR $deliveries = -1);",
        "$id",
        "$deliveries");

    /// <summary>Extends every lease of one consumer.</summary>
    public static readonly SqliteStatement Renew = new(
        "UPDATE celeriac_messages SET lease_until = $until WHERE lease_owner = $owner;",
        "$until",
        "$owner");

    /// <summary>
    /// The earliest lease end still to come, of any queue: an idle consumer need not sleep past it. Leases already
    /// expired are left out: the consumer just tried its queues, so those belong to queues it does not consume.
    /// </summary>
    public static readonly SqliteStatement NextLeaseExpiry = new(
        "SELECT MIN(lease_until) FROM celeriac_messages WHERE lease_until >= $now;",
        "$now");

    /// <summary>Counts the ready messages of a queue (never leased, or lease expired).</summary>
    public static readonly SqliteStatement Size = new(
        """
        SELECT (SELECT COUNT(*) FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL)
             + (SELECT COUNT(*) FROM celeriac_messages WHERE lease_until < $now AND queue = $queue);
        """,
        "$queue",
        "$now");

    /// <summary>Deletes the ready messages of a queue; leased ones stay with their consumers, as kombu's unacked do.</summary>
    public static readonly SqliteStatement Purge = new(
        """
        DELETE FROM celeriac_messages WHERE id IN (
            SELECT id FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL
            UNION ALL
            SELECT id FROM celeriac_messages WHERE lease_until < $now AND queue = $queue);
        """,
        "$queue",
        "$now");

    /// <summary>Deletes a queue: its bindings and every message in it, leased or not.</summary>
    public static readonly SqliteStatement DeleteQueue = new(
        """
        DELETE FROM celeriac_bindings WHERE queue = $queue;
        DELETE FROM celeriac_messages WHERE queue = $queue;
        """,
        "$queue");

    /// <summary>Stores a binding (idempotent).</summary>
    public static readonly SqliteStatement Bind = new(
        "INSERT OR IGNORE INTO celeriac_bindings (exchange, routing_key, queue) VALUES ($exchange, $routing_key, $queue);",
        "$exchange",
        "$routing_key",
        "$queue");

    /// <summary>The bindings of an exchange.</summary>
    public static readonly SqliteStatement Bindings = new(
        "SELECT routing_key, queue FROM celeriac_bindings WHERE exchange = $exchange;",
        "$exchange");

    /// <summary>Reads a result value that has not expired.</summary>
    public static readonly SqliteStatement GetResult = new(
        "SELECT value FROM celeriac_results WHERE key = $key AND (expires_at IS NULL OR expires_at > $now);",
        "$key",
        "$now");

    /// <summary>Writes a result value (insert or replace, with a new expiry).</summary>
    public static readonly SqliteStatement SetResult = new(
        """
        INSERT INTO celeriac_results (key, value, expires_at) VALUES ($key, $value, $expires_at)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at;
        """,
        "$key",
        "$value",
        "$expires_at");

    /// <summary>Deletes a result value.</summary>
    public static readonly SqliteStatement DeleteResult = new(
        "DELETE FROM celeriac_results WHERE key = $key;",
        "$key");

    /// <summary>Deletes expired result values (reads already ignore them; this reclaims the space).</summary>
    public static readonly SqliteStatement DeleteExpiredResults = new(
        "DELETE FROM celeriac_results WHERE expires_at <= $now;",
        "$now");
}
