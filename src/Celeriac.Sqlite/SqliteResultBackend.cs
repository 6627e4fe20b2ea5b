using Celeriac.Backends;
using Microsoft.Extensions.Logging;

namespace Celeriac.Sqlite;

/// <summary>
/// <c>sqlite:///path.db</c> result backend: Celery's key-value backend (keys <c>celery-task-meta-&lt;id&gt;</c>, the
/// same meta JSON as on Redis) in a table of a SQLite file, which may be the broker's. Expired values are invisible at
/// once and deleted lazily. Waiters wake on writes by this process at once and on writes by other processes
/// through a watch on the file.
/// </summary>
public sealed partial class SqliteResultBackend : KeyValueResultBackend
{
    /// <summary>How often, at most, a write also deletes expired values.</summary>
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromMinutes(1);

    private readonly SqliteDatabase _database;
    private readonly ILogger _logger;
    private long _nextCleanupTicks;
    private int _disposed;

    /// <summary>Opens (creating when missing) the database the context's URL names.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL names no usable file, or the file is not a SQLite database (the message names <c>result_backend</c>).</exception>
    public SqliteResultBackend(ResultBackendContext context)
        : base(NotNull(context).ResultExpires, context.TimeProvider)
    {
        _logger = context.LoggerFactory.CreateLogger<SqliteResultBackend>();
        _database = SqliteDatabase.Acquire(context.Url, "result_backend", context.LoggerFactory);
        _nextCleanupTicks = TimeProvider.GetUtcNow().UtcTicks;
    }

    /// <inheritdoc />
    public override ResultBackendCapabilities Capabilities { get; } = new("sqlite", Persistent: true, PushesUpdates: true);

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => _database.Path;

    /// <summary>Creates the backend; the factory registered for <c>sqlite://</c>.</summary>
    public static SqliteResultBackend Create(ResultBackendContext context) => new(context);

    /// <inheritdoc />
    protected override ValueTask<byte[]?> GetValueAsync(string key, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return ValueTask.FromResult(_database.Read(s =>
        {
            using var reader = s.Command(SqliteSql.GetResult, key, now).ExecuteReader();
            return reader.Read() ? reader.GetFieldValue<byte[]>(0) : null;
        }));
    }

    /// <inheritdoc />
    protected override async ValueTask SetValueAsync(string key, byte[] value, TimeSpan? expires, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow();
        long? expiresAt = expires is { } e ? (now + e).ToUnixTimeMilliseconds() : null;
        await _database.WriteAsync(s => s.Command(SqliteSql.SetResult, key, value, expiresAt).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        _database.NotifyChanged();
        await CleanupIfDueAsync(now, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>One IMMEDIATE transaction, so that of the header tasks ending at once in several processes exactly one sees the last count.</remarks>
    protected override ValueTask<(long Count, bool Added)> AddChordPartAsync(string groupId, string taskId, byte[] part, TimeSpan? expires, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow();
        long? expiresAt = expires is { } e ? (now + e).ToUnixTimeMilliseconds() : null;
        return _database.WriteAsync(s =>
        {
            s.Execute("BEGIN IMMEDIATE;");
            var added = s.Command(SqliteSql.AddChordPart, groupId, taskId, part, expiresAt).ExecuteNonQuery() == 1;
            s.Command(SqliteSql.TouchChordParts, groupId, expiresAt, GroupKey(groupId)).ExecuteNonQuery();
            var count = Convert.ToInt64(s.Command(SqliteSql.CountChordParts, groupId, now.ToUnixTimeMilliseconds()).ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            s.Execute("COMMIT;");
            return (count, added);
        }, cancellationToken);
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyList<byte[]>> ReadChordPartsAsync(string groupId, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return ValueTask.FromResult(_database.Read<IReadOnlyList<byte[]>>(s =>
        {
            var parts = new List<byte[]>();
            using var reader = s.Command(SqliteSql.ReadChordParts, groupId, now).ExecuteReader();
            while (reader.Read())
            {
                parts.Add(reader.GetFieldValue<byte[]>(0));
            }

            return parts;
        }));
    }

    /// <inheritdoc />
    protected override async ValueTask DeleteChordPartsAsync(string groupId, CancellationToken cancellationToken) =>
        await _database.WriteAsync(s => s.Command(SqliteSql.DeleteChordParts, groupId).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask CleanupAsync(CancellationToken cancellationToken = default)
    {
        var deleted = await _database.WriteAsync(s => s.Command(SqliteSql.DeleteExpiredResults, TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            LogCleaned(deleted);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask DeleteValueAsync(string key, CancellationToken cancellationToken)
    {
        await _database.WriteAsync(s => s.Command(SqliteSql.DeleteResult, key).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        _database.NotifyChanged();
    }

    /// <inheritdoc />
    protected override Task WatchAsync(string key, CancellationToken cancellationToken) => _database.NextChange;

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _database.Release();
        }

        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    private static ResultBackendContext NotNull(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context;
    }

    private async ValueTask CleanupIfDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Celery schedules celery.backend_cleanup for database backends; riding on writes needs no beat and
        // no timer, and a backend nobody writes to gains no new expired rows.
        var due = Interlocked.Read(ref _nextCleanupTicks);
        if (ResultExpires is null || now.UtcTicks < due || Interlocked.CompareExchange(ref _nextCleanupTicks, (now + CleanupInterval).UtcTicks, due) != due)
        {
            // Not due, or a concurrent write just took this turn.
            return;
        }

        var deleted = await _database.WriteAsync(s => s.Command(SqliteSql.DeleteExpiredResults, now.ToUnixTimeMilliseconds()).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            LogCleaned(deleted);
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Debug, Message = "Deleted {Count} expired results")]
    private partial void LogCleaned(int count);
}
