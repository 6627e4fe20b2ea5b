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
/// A past <c>expires_at</c> (x-message-ttl, set at put from the queue's declaration) makes a message that is not
/// leased invisible, as if deleted; the clean-up deletes it. <c>celeriac_queues</c> holds declarations, so every
/// process sees each queue's x-message-ttl and x-expires, and <c>last_used</c> tells any of them when a queue has
/// been unused for its x-expires.
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

    /// <summary>
    /// The schema, idempotent; run in one transaction (with <see cref="HasMessageExpiry"/>, <see cref="AddMessageExpiry"/>
    /// and <see cref="CreateExpirySchema"/>) when a process first opens the file.
    /// </summary>
    public const string CreateSchema = """
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
        CREATE TABLE IF NOT EXISTS celeriac_chord_parts (
            group_id   TEXT NOT NULL,
            task_id    TEXT NOT NULL,
            part       BLOB NOT NULL,
            expires_at INTEGER,
            PRIMARY KEY (group_id, task_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS celeriac_queues (
            name           TEXT    NOT NULL PRIMARY KEY,
            message_ttl_ms INTEGER,
            expires_ms     INTEGER,
            last_used      INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>Whether <c>celeriac_messages</c> has its <c>expires_at</c> column (files made before x-message-ttl lack it).</summary>
    public const string HasMessageExpiry = "SELECT COUNT(*) FROM pragma_table_info('celeriac_messages') WHERE name = 'expires_at';";

    /// <summary>Adds the <c>expires_at</c> column to a file made before x-message-ttl.</summary>
    public const string AddMessageExpiry = "ALTER TABLE celeriac_messages ADD COLUMN expires_at INTEGER;";

    /// <summary>The index on <c>expires_at</c>, made once the column exists.</summary>
    public const string CreateExpirySchema = "CREATE INDEX IF NOT EXISTS celeriac_messages_expires ON celeriac_messages (expires_at) WHERE expires_at IS NOT NULL;";

    /// <summary>Appends a message to a queue; it expires after the queue's declared x-message-ttl, if any (NULL + n is NULL).</summary>
    public static readonly SqliteStatement Put = new(
        """
        INSERT INTO celeriac_messages (queue, priority, envelope, expires_at)
        VALUES ($queue, $priority, $envelope, $now + (SELECT message_ttl_ms FROM celeriac_queues WHERE name = $queue));
        """,
        "$queue",
        "$priority",
        "$envelope",
        "$now");

    /// <summary>
    /// Whether a queue has a visible message, and whether it has expired (x-message-ttl) unleased ones to delete.
    /// A read, so an idle consumer looking at an empty queue does not take the file's write lock that publishers in
    /// every process need.
    /// </summary>
    public static readonly SqliteStatement HasVisible = new(
        """
        SELECT EXISTS (SELECT 1 FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL AND (expires_at IS NULL OR expires_at > $now))
            OR EXISTS (SELECT 1 FROM celeriac_messages WHERE lease_until < $now AND queue = $queue AND (expires_at IS NULL OR expires_at > $now)),
               EXISTS (SELECT 1 FROM celeriac_messages WHERE expires_at <= $now AND queue = $queue AND (lease_until IS NULL OR lease_until < $now));
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
                    WHERE queue = $queue AND lease_until IS NULL AND (expires_at IS NULL OR expires_at > $now)
                    ORDER BY priority, id LIMIT 1)
                UNION ALL
                SELECT id, priority FROM (
                    SELECT id, priority FROM celeriac_messages
                    WHERE lease_until < $now AND queue = $queue AND (expires_at IS NULL OR expires_at > $now)
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

    /// <summary>Counts the ready messages of a queue (never leased, or lease expired), leaving out those past their x-message-ttl.</summary>
    public static readonly SqliteStatement Size = new(
        """
        SELECT (SELECT COUNT(*) FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL AND (expires_at IS NULL OR expires_at > $now))
             + (SELECT COUNT(*) FROM celeriac_messages WHERE lease_until < $now AND queue = $queue AND (expires_at IS NULL OR expires_at > $now));
        """,
        "$queue",
        "$now");

    /// <summary>
    /// Deletes the ready messages of a queue; leased ones stay with their consumers, as kombu's unacked do. Expired
    /// ones are not counted (they were never there for the caller); the clean-up deletes them.
    /// </summary>
    public static readonly SqliteStatement Purge = new(
        """
        DELETE FROM celeriac_messages WHERE id IN (
            SELECT id FROM celeriac_messages WHERE queue = $queue AND lease_until IS NULL AND (expires_at IS NULL OR expires_at > $now)
            UNION ALL
            SELECT id FROM celeriac_messages WHERE lease_until < $now AND queue = $queue AND (expires_at IS NULL OR expires_at > $now));
        """,
        "$queue",
        "$now");

    /// <summary>Deletes a queue: its declaration, its bindings and every message in it, leased or not.</summary>
    public static readonly SqliteStatement DeleteQueue = new(
        """
        DELETE FROM celeriac_queues WHERE name = $queue;
        DELETE FROM celeriac_bindings WHERE queue = $queue;
        DELETE FROM celeriac_messages WHERE queue = $queue;
        """,
        "$queue");

    /// <summary>Deletes the expired (x-message-ttl), unleased messages of one queue: the lazy delete on get.</summary>
    public static readonly SqliteStatement DeleteExpiredMessagesOfQueue = new(
        """
        DELETE FROM celeriac_messages WHERE id IN (
            SELECT id FROM celeriac_messages WHERE expires_at <= $now AND queue = $queue AND (lease_until IS NULL OR lease_until < $now));
        """,
        "$queue",
        "$now");

    /// <summary>A queue's declared x-message-ttl and x-expires; no row when never declared.</summary>
    public static readonly SqliteStatement GetQueue = new(
        "SELECT message_ttl_ms, expires_ms FROM celeriac_queues WHERE name = $name;",
        "$name");

    /// <summary>Records a declaration (the last one wins) and restarts the queue's x-expires clock.</summary>
    public static readonly SqliteStatement DeclareQueue = new(
        """
        INSERT INTO celeriac_queues (name, message_ttl_ms, expires_ms, last_used) VALUES ($name, $message_ttl_ms, $expires_ms, $now)
        ON CONFLICT (name) DO UPDATE SET message_ttl_ms = excluded.message_ttl_ms, expires_ms = excluded.expires_ms, last_used = excluded.last_used;
        """,
        "$name",
        "$message_ttl_ms",
        "$expires_ms",
        "$now");

    /// <summary>
    /// Whether a live consumer should touch its queues: one of them has x-expires and was last touched more than a
    /// quarter of it ago. A read, so that keep-alives write only a few times per x-expires period.
    /// </summary>
    public static readonly SqliteStatement NeedsTouch = new(
        """
        SELECT EXISTS (SELECT 1 FROM celeriac_queues
            WHERE name IN (SELECT value FROM json_each($names)) AND expires_ms IS NOT NULL AND last_used <= $now - expires_ms / 4);
        """,
        "$names",
        "$now");

    /// <summary>Marks queues (a JSON array of names) as used now; only x-expires queues care.</summary>
    public static readonly SqliteStatement TouchQueues = new(
        "UPDATE celeriac_queues SET last_used = $now WHERE name IN (SELECT value FROM json_each($names)) AND expires_ms IS NOT NULL;",
        "$names",
        "$now");

    /// <summary>
    /// Whether anything expired: a queue unused for its x-expires (<c>$live</c>: a JSON array of the queues this
    /// process consumes, which never expire), or an unleased message past its x-message-ttl. A read, so the periodic
    /// check takes no write lock when there is nothing to do.
    /// </summary>
    public static readonly SqliteStatement HasExpired = new(
        """
        SELECT EXISTS (SELECT 1 FROM celeriac_queues
                WHERE expires_ms IS NOT NULL AND last_used + expires_ms <= $now AND name NOT IN (SELECT value FROM json_each($live)))
            OR EXISTS (SELECT 1 FROM celeriac_messages WHERE expires_at <= $now AND (lease_until IS NULL OR lease_until < $now));
        """,
        "$now",
        "$live");

    /// <summary>
    /// Deletes the queues unused for their x-expires (declaration, bindings, messages leased or not, as RabbitMQ
    /// deletes a queue) and every unleased message past its x-message-ttl. One IMMEDIATE transaction, so a queue
    /// another process touches or redeclares meanwhile is either wholly kept or wholly deleted.
    /// </summary>
    public static readonly SqliteStatement DeleteExpired = new(
        """
        BEGIN IMMEDIATE;
        DELETE FROM celeriac_bindings WHERE queue IN (SELECT name FROM celeriac_queues
            WHERE expires_ms IS NOT NULL AND last_used + expires_ms <= $now AND name NOT IN (SELECT value FROM json_each($live)));
        DELETE FROM celeriac_messages WHERE id IN (
            SELECT id FROM celeriac_messages WHERE lease_until IS NULL AND queue IN (SELECT name FROM celeriac_queues
                WHERE expires_ms IS NOT NULL AND last_used + expires_ms <= $now AND name NOT IN (SELECT value FROM json_each($live)))
            UNION ALL
            SELECT id FROM celeriac_messages WHERE lease_until IS NOT NULL AND queue IN (SELECT name FROM celeriac_queues
                WHERE expires_ms IS NOT NULL AND last_used + expires_ms <= $now AND name NOT IN (SELECT value FROM json_each($live))));
        DELETE FROM celeriac_queues
            WHERE expires_ms IS NOT NULL AND last_used + expires_ms <= $now AND name NOT IN (SELECT value FROM json_each($live));
        DELETE FROM celeriac_messages WHERE id IN (
            SELECT id FROM celeriac_messages WHERE expires_at <= $now AND (lease_until IS NULL OR lease_until < $now));
        COMMIT;
        """,
        "$now",
        "$live");

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

    /// <summary>Adds a chord header task's part to its chord's join; one row per task, so a second report of the same task adds nothing.</summary>
    public static readonly SqliteStatement AddChordPart = new(
        """
        INSERT INTO celeriac_chord_parts (group_id, task_id, part, expires_at) VALUES ($group_id, $task_id, $part, $expires_at)
        ON CONFLICT (group_id, task_id) DO NOTHING;
        """,
        "$group_id",
        "$task_id",
        "$part",
        "$expires_at");

    /// <summary>Gives every part of a chord's join and its saved header group a new expiry (Celery's EXPIRE of the join keys at each part).</summary>
    public static readonly SqliteStatement TouchChordParts = new(
        """
        UPDATE celeriac_chord_parts SET expires_at = $expires_at WHERE group_id = $group_id;
        UPDATE celeriac_results SET expires_at = $expires_at WHERE key = $group_key;
        """,
        "$group_id",
        "$expires_at",
        "$group_key");

    /// <summary>How many header tasks of a chord have reported (expired parts do not count).</summary>
    public static readonly SqliteStatement CountChordParts = new(
        "SELECT COUNT(*) FROM celeriac_chord_parts WHERE group_id = $group_id AND (expires_at IS NULL OR expires_at > $now);",
        "$group_id",
        "$now");

    /// <summary>The parts of a chord's join that have not expired.</summary>
    public static readonly SqliteStatement ReadChordParts = new(
        "SELECT part FROM celeriac_chord_parts WHERE group_id = $group_id AND (expires_at IS NULL OR expires_at > $now);",
        "$group_id",
        "$now");

    /// <summary>Deletes a chord's join.</summary>
    public static readonly SqliteStatement DeleteChordParts = new(
        "DELETE FROM celeriac_chord_parts WHERE group_id = $group_id;",
        "$group_id");

    /// <summary>Deletes a result value.</summary>
    public static readonly SqliteStatement DeleteResult = new(
        "DELETE FROM celeriac_results WHERE key = $key;",
        "$key");

    /// <summary>Deletes expired result values (reads already ignore them; this reclaims the space).</summary>
    public static readonly SqliteStatement DeleteExpiredResults = new(
        "DELETE FROM celeriac_results WHERE expires_at <= $now; DELETE FROM celeriac_chord_parts WHERE expires_at <= $now;",
        "$now");
}
