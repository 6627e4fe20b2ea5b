using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Sqlite;

/// <summary>
/// <c>sqlite:///relative/path.db</c> or <c>sqlite:////absolute/path.db</c>: an embedded broker in one SQLite file,
/// shared safely by several processes on one machine. Messages survive a crash: a delivery not acked by a process
/// that died becomes visible again after <see cref="VirtualTransport.VisibilityTimeout"/>, flagged redelivered.
/// </summary>
/// <remarks>
/// Each message is one row holding the kombu envelope (Celery §4.2), so the stored bytes are what a Redis list
/// would hold. Leasing, acking, requeueing and renewing are each one atomic statement; see <see cref="SqliteSql"/>.
/// Idle consumers sleep until this process writes, another process writes (a file watch), a lease they could take
/// expires, or <c>polling_interval</c> passes.
/// Queue declarations live in the file too, so x-message-ttl and x-expires hold whichever process declared a queue:
/// any process that publishes or consumes deletes what expired, and consumers keep their queues' <c>last_used</c>
/// fresh for the other processes to see.
/// </remarks>
public sealed partial class SqliteTransport : VirtualTransport
{
    private readonly SqliteDatabase _database;
    private readonly ILogger _logger;

    // The lease each delivery was taken under (its delivery count), so that acking or requeueing after the lease
    // was lost to another consumer cannot delete or release that consumer's message.
    private readonly ConditionalWeakTable<LeasedMessage, Lease> _leases = [];

    // Per queue: the change version seen just before a lease attempt that found the queue empty.
    private readonly ConcurrentDictionary<string, long> _emptySince = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Opens (creating when missing) the database the context's URL names.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL names no usable file, or the file is not a SQLite database (the message names <c>broker_url</c>).</exception>
    public SqliteTransport(TransportContext context)
        : base(context)
    {
        _logger = context.LoggerFactory.CreateLogger<SqliteTransport>();
        _database = SqliteDatabase.Acquire(context.Url, "broker_url", context.LoggerFactory);
    }

    /// <inheritdoc />
    public override TransportCapabilities Capabilities { get; } = new("sqlite", SurvivesProcessCrash: true, CrossProcess: true, SupportsPriority: true);

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => _database.Path;

    /// <summary>Creates the transport; the factory registered for <c>sqlite://</c>.</summary>
    public static SqliteTransport Create(TransportContext context) => new(context);

    /// <inheritdoc />
    public override async ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var now = Now();
        return await _database.WriteAsync(s => (long)s.Command(SqliteSql.Purge, queue, now).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        await _database.WriteAsync(s => s.Command(SqliteSql.DeleteQueue, queue).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        _database.NotifyChanged();
    }

    /// <inheritdoc />
    public override ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var now = Now();
        return ValueTask.FromResult(_database.Read(s => Convert.ToInt64(s.Command(SqliteSql.Size, queue, now).ExecuteScalar(), CultureInfo.InvariantCulture)));
    }

    /// <inheritdoc />
    protected override async ValueTask PutAsync(string queue, TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken)
    {
        // A fresh UUID4 delivery tag per copy, as kombu gives each published message (Celery §4.2).
        var envelope = new KombuEnvelope(message, exchange, routingKey, Guid.NewGuid().ToString()).Encode();
        var priority = message.Properties.Priority ?? 0;
        var now = Now();
        await _database.WriteAsync(s => s.Command(SqliteSql.Put, queue, priority, envelope, now).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        _database.NotifyChanged();
    }

    /// <inheritdoc />
    protected override async ValueTask<LeasedMessage?> TryGetAsync(string queue, string consumerId, CancellationToken cancellationToken)
    {
        var seen = _database.Version;
        var now = TimeProvider.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var until = (now + VisibilityTimeout).ToUnixTimeMilliseconds();
        var (visible, expired) = _database.Read(s =>
        {
            using var reader = s.Command(SqliteSql.HasVisible, queue, nowMs).ExecuteReader();
            reader.Read();
            return (reader.GetBoolean(0), reader.GetBoolean(1));
        });
        if (expired)
        {
            // x-message-ttl, lazily: whoever looks at a queue deletes what expired in it.
            await _database.WriteAsync(s => s.Command(SqliteSql.DeleteExpiredMessagesOfQueue, queue, nowMs).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        }

        var row = !visible
            ? null
            : await _database.WriteAsync(
                s =>
                {
                    // Another consumer may have taken it since the look: then this finds nothing, which is fine.
                    using var reader = s.Command(SqliteSql.Lease, consumerId, until, queue, nowMs).ExecuteReader();
                    return reader.Read() ? new LeasedRow(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2)) : null;
                },
                cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            _emptySince[queue] = seen;
            return null;
        }

        KombuEnvelope envelope;
        try
        {
            envelope = KombuEnvelope.Decode(row.Envelope);
        }
        catch (MessageDecodeException ex)
        {
            // Not ours to judge: hand the raw bytes on, so the worker rejects it with its usual error path.
            LogUndecodable(ex, row.Id, queue);
            envelope = new KombuEnvelope(new TransportMessage { Body = row.Envelope, ContentType = ContentTypes.Json }, string.Empty, queue, string.Empty);
        }

        var leased = new LeasedMessage(row.Id, envelope.Message, queue, envelope.Exchange, envelope.RoutingKey, Redelivered: row.Deliveries > 1);
        _leases.AddOrUpdate(leased, new Lease(row.Deliveries));
        return leased;
    }

    /// <inheritdoc />
    protected override async ValueTask AckAsync(LeasedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deliveries = DeliveriesOf(message);
        var deleted = await _database.WriteAsync(s => s.Command(SqliteSql.Ack, message.Tag, deliveries).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        if (deleted == 0)
        {
            LogLeaseLost(message.Tag, message.Queue);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask RequeueAsync(LeasedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deliveries = DeliveriesOf(message);
        var released = await _database.WriteAsync(s => s.Command(SqliteSql.Requeue, message.Tag, deliveries).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            _database.NotifyChanged();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask RenewLeasesAsync(string consumerId, CancellationToken cancellationToken)
    {
        var until = (TimeProvider.GetUtcNow() + VisibilityTimeout).ToUnixTimeMilliseconds();
        await _database.WriteAsync(s => s.Command(SqliteSql.Renew, until, consumerId).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task WaitForMessagesAsync(IReadOnlyList<string> queues, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var change = _database.NextChange;
        var version = _database.Version;
        foreach (var queue in queues)
        {
            if (!_emptySince.TryGetValue(queue, out var seen) || seen < version)
            {
                // Something was written after this queue was last found empty: look again before sleeping.
                return;
            }
        }

        // A lease that runs out makes a message visible without any write, so no wake-up would come for it:
        // sleep no longer than until the next lease ends. In whole milliseconds, as the leases are stored (and as
        // timers round), so that waking at that instant finds the lease expired rather than spinning on it.
        var wait = maxWait;
        var now = Now();
        if (_database.Read(s => s.Command(SqliteSql.NextLeaseExpiry, now).ExecuteScalar()) is long expiresAt)
        {
            var untilExpiry = TimeSpan.FromMilliseconds(expiresAt + 1 - now);
            wait = untilExpiry < wait ? untilExpiry : wait;
        }

        try
        {
            await change.WaitAsync(wait, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <inheritdoc />
    protected override async ValueTask DeclareQueueCoreAsync(QueueDeclaration queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        long? ttl = queue.MessageTtl is { } t ? (long)t.TotalMilliseconds : null;
        long? expires = queue.Expires is { } e ? (long)e.TotalMilliseconds : null;
        var same = _database.Read(s =>
        {
            using var reader = s.Command(SqliteSql.GetQueue, queue.Name).ExecuteReader();
            return reader.Read() && NullableInt64(reader, 0) == ttl && NullableInt64(reader, 1) == expires;
        });

        // Publishers declare their queue before the first publish; for a queue that cannot expire, an unchanged
        // declaration needs no write. One that can expire is written, since a declaration restarts its clock.
        if (same && expires is null)
        {
            return;
        }

        var now = Now();
        await _database.WriteAsync(s => s.Command(SqliteSql.DeclareQueue, queue.Name, ttl, expires, now).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask TouchQueuesAsync(IReadOnlyList<string> queues, int consumers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (consumers != 0)
        {
            _database.CountConsumers(queues, consumers);
        }

        var names = JsonArrayOf(queues);
        var now = Now();
        if (consumers == 0 && !_database.Read(s => Convert.ToBoolean(s.Command(SqliteSql.NeedsTouch, names, now).ExecuteScalar(), CultureInfo.InvariantCulture)))
        {
            return;
        }

        await _database.WriteAsync(s => s.Command(SqliteSql.TouchQueues, names, now).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var live = _database.ConsumedQueuesJson();
        if (!_database.Read(s => Convert.ToBoolean(s.Command(SqliteSql.HasExpired, now, live).ExecuteScalar(), CultureInfo.InvariantCulture)))
        {
            return;
        }

        await _database.WriteAsync(s => s.Command(SqliteSql.DeleteExpired, now, live).ExecuteNonQuery(), cancellationToken).ConfigureAwait(false);
        LogExpiredDeleted();
    }

    /// <inheritdoc />
    protected override ValueTask AddBindingAsync(QueueBinding binding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return IgnoreResult(_database.WriteAsync(s => s.Command(SqliteSql.Bind, binding.Exchange, binding.RoutingKey, binding.Queue).ExecuteNonQuery(), cancellationToken));
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyList<QueueBinding>> GetBindingsAsync(string exchange, CancellationToken cancellationToken)
    {
        // Read on every publish, so a binding made by another process routes at once (kombu reads its binding set per publish too).
        var bindings = _database.Read(s =>
        {
            using var reader = s.Command(SqliteSql.Bindings, exchange).ExecuteReader();
            var list = new List<QueueBinding>();
            while (reader.Read())
            {
                list.Add(new QueueBinding(exchange, reader.GetString(0), reader.GetString(1)));
            }

            return list;
        });
        return ValueTask.FromResult<IReadOnlyList<QueueBinding>>(bindings);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _database.Release();
        }

        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    /// <summary>A JSON array of strings, for <c>json_each</c>.</summary>
    internal static string JsonArrayOf(IEnumerable<string> values) =>
        new System.Text.Json.Nodes.JsonArray([.. values.Select(v => System.Text.Json.Nodes.JsonValue.Create(v))]).ToJsonString();

    private static long? NullableInt64(Microsoft.Data.Sqlite.SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static async ValueTask IgnoreResult<T>(ValueTask<T> task) => await task.ConfigureAwait(false);

    private long Now() => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    // A message this transport did not lease has no recorded lease: -1 matches the row whatever its lease.
    private long DeliveriesOf(LeasedMessage message) => _leases.TryGetValue(message, out var lease) ? lease.Deliveries : -1;

    [LoggerMessage(EventId = 320, Level = LogLevel.Debug, Message = "Message {Tag} of queue '{Queue}' was not acked: its lease expired and another consumer took it, so it will be (or was) delivered again")]
    private partial void LogLeaseLost(long tag, string queue);

    [LoggerMessage(EventId = 321, Level = LogLevel.Error, Message = "Message {Tag} of queue '{Queue}' is not a kombu envelope; delivering its raw bytes")]
    private partial void LogUndecodable(Exception ex, long tag, string queue);

    [LoggerMessage(EventId = 322, Level = LogLevel.Debug, Message = "Deleted expired messages (x-message-ttl) and unused queues (x-expires)")]
    private partial void LogExpiredDeleted();

    private sealed record LeasedRow(long Id, byte[] Envelope, long Deliveries);

    private sealed record Lease(long Deliveries);
}
