using System.Threading.Channels;
using Celeriac.Backends;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// <c>redis://</c> result backend, as Celery's (Celery §5): <c>celery-task-meta-&lt;id&gt;</c> strings holding the meta
/// JSON, written after a GET (a stored SUCCESS is never overwritten) as <c>MULTI; SETEX key result_expires json;
/// PUBLISH key json; EXEC</c>, so that Python's <c>AsyncResult.get()</c>, which waits on the channel, wakes. Waiters here
/// do the same: SUBSCRIBE to the key's channel, then GET, then wait for a published ready state; every waiter of a
/// backend shares its one pub/sub connection. Source: celery/backends/redis.py (RedisBackend, ResultConsumer),
/// celery/backends/base.py (KeyValueStoreBackend).
/// </summary>
public sealed partial class RedisResultBackend : KeyValueResultBackend
{
    private readonly RedisEndpoint _endpoint;
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly Transport.AsyncPulse _reconnected = new();
    private readonly WriteBatcher<(RedisKey Key, RedisValue Value)> _stores;
    private int _disposed;

    /// <summary>Creates the backend for the context's URL; connects on first use.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL is malformed (the message names <c>result_backend</c>).</exception>
    public RedisResultBackend(ResultBackendContext context)
        : base(NotNull(context).ResultExpires, context.TimeProvider)
    {
        _endpoint = RedisEndpoint.Parse(context.Url, "result_backend");
        _logger = context.LoggerFactory.CreateLogger<RedisResultBackend>();
        _clock = context.TimeProvider;
        _connection = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        // Inline completions: a store's awaiter resumes on the thread that saw its batch written, as an await on a
        // StackExchange.Redis call resumes on the thread that read its reply; the worker's is the end of a task.
        _stores = new WriteBatcher<(RedisKey, RedisValue)>(WriteResults, maxBatch: 256, inlineCompletions: true);
    }

    /// <inheritdoc />
    public override ResultBackendCapabilities Capabilities { get; } = new("redis", Persistent: true, PushesUpdates: true);

    /// <summary>Creates the backend; the factory registered for <c>redis://</c> and <c>rediss://</c>.</summary>
    public static RedisResultBackend Create(ResultBackendContext context) => new(context);

    /// <inheritdoc />
    /// <remarks>
    /// Celery's ResultConsumer order: SUBSCRIBE to the key's channel first, then GET, so a state stored between the two
    /// is seen either by the GET or on the channel. A reconnect re-reads (a publish may have been missed meanwhile).
    /// </remarks>
    public override async ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var key = TaskKey(taskId);
        var connection = await ConnectionAsync().ConfigureAwait(false);
        var subscriber = connection.GetSubscriber();
        var channel = RedisChannel.Literal(key);

        // Published payloads for this waiter; null asks for a re-read. Bounded: only the newest state matters.
        var published = Channel.CreateBounded<byte[]?>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnPublished(RedisChannel _, RedisValue value) => published.Writer.TryWrite((byte[]?)value);

        await subscriber.SubscribeAsync(channel, OnPublished).ConfigureAwait(false);
        try
        {
            byte[]? value = await GetValueAsync(key, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                if (value is not null && TryReady(value, taskId) is { } ready)
                {
                    return ready;
                }

                var reconnected = _reconnected.NextPulse;
                var next = published.Reader.ReadAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(next, reconnected).ConfigureAwait(false) == next)
                {
                    value = await next.ConfigureAwait(false) ?? await GetValueAsync(key, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    published.Writer.TryWrite(null);
                    value = await next.ConfigureAwait(false) ?? await GetValueAsync(key, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            try
            {
                await subscriber.UnsubscribeAsync(channel, OnPublished).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                LogUnsubscribeFailed(ex, key);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Celery's write (GET; unless SUCCESS is stored, SETEX and PUBLISH) as one script (<see cref="RedisKeys.StoreResultsScript"/>):
    /// one round trip instead of two, and the GET and the write cannot interleave with another worker's. Results stored
    /// while the previous write is on the wire go together in the next script call (group commit), each key handled
    /// in order exactly as alone. Same keys, values and channel as Celery's. Retried while Redis restarts.
    /// </remarks>
    public override async ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var entry = ((RedisKey)TaskKey(meta.TaskId), (RedisValue)ResultMetaCodec.Encode(meta));
        if (!cancellationToken.CanBeCanceled)
        {
            await _stores.WriteAsync(entry).ConfigureAwait(false);
            return;
        }

        // A cancellable store is written alone, so that its token stops its own retries only.
        await WriteResultsAsync([entry], cancellationToken).ConfigureAwait(false);
    }

    private Task WriteResults(IReadOnlyList<(RedisKey Key, RedisValue Value)> batch) => WriteResultsAsync(batch, CancellationToken.None);

    private async Task WriteResultsAsync(IReadOnlyList<(RedisKey Key, RedisValue Value)> batch, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[batch.Count];
        var args = new RedisValue[batch.Count + 1];
        args[0] = WholeSeconds(ResultExpires) is { } ttl ? (long)ttl.TotalSeconds : 0;
        for (var i = 0; i < batch.Count; i++)
        {
            keys[i] = batch[i].Key;
            args[i + 1] = batch[i].Value;
        }

        await RedisRetry.RunAsync(
            async () =>
            {
                // The connection itself, not DatabaseAsync: a dispose drains the batches still queued before closing it.
                var db = (await _connection.Value.ConfigureAwait(false)).GetDatabase();
                await db.ScriptEvaluateAsync(RedisKeys.StoreResultsScript, keys, args).ConfigureAwait(false);
            },
            _clock,
            OnRetry,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask<byte[]?> GetValueAsync(string key, CancellationToken cancellationToken) =>
        await RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                return (byte[]?)await db.StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            },
            _clock,
            OnRetry,
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>Retried while Redis restarts, as Celery's backend does (<c>ensure</c>): a result is not given up lightly.</remarks>
    protected override async ValueTask SetValueAsync(string key, byte[] value, TimeSpan? expires, CancellationToken cancellationToken) =>
        await RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                var tran = db.CreateTransaction();
                _ = tran.StringSetAsync(key, value, WholeSeconds(expires));
                _ = tran.PublishAsync(RedisChannel.Literal(key), value);
                await tran.ExecuteAsync().ConfigureAwait(false);
            },
            _clock,
            OnRetry,
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>Celery 5.2's Redis chord: <c>SETEX celery-taskset-meta-&lt;gid&gt;.s &lt;expires&gt; N</c> (plain integer text), then a PUBLISH as every backend write.</remarks>
    public override async ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headerIds);
        var value = (RedisValue)headerIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var key = GroupKey(groupId) + ".s";
        var tran = db.CreateTransaction();
        _ = tran.StringSetAsync(key, value, WholeSeconds(ResultExpires));
        _ = tran.PublishAsync(RedisChannel.Literal(key), value);
        await tran.ExecuteAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Celery 5.2's ordered join (<c>result_chord_ordered</c>), in one MULTI: <c>ZADD .j &lt;index&gt; [1, id, state, result]</c>,
    /// <c>ZCOUNT .j</c>, <c>GET .t</c>, <c>GET .s</c>, <c>EXPIRE</c> of the three. The one that brings the count to the size
    /// reads <c>.j</c> in index order and deletes the keys; Python and Celeriac workers share the join. Unlike Celery, a
    /// part whose ZADD added nothing (the same task reporting the same end again) never completes the join.
    /// Source: celery/backends/redis.py (on_chord_part_return).
    /// </remarks>
    public override async ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var baseKey = GroupKey(groupId);
        RedisKey joinKey = baseKey + ".j", totalKey = baseKey + ".t", sizeKey = baseKey + ".s";
        var member = ChordMember.Encode(meta);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var tran = db.CreateTransaction();
        var added = tran.SortedSetAddAsync(joinKey, member, groupIndex ?? double.PositiveInfinity);
        var count = tran.SortedSetLengthAsync(joinKey);
        var total = tran.StringGetAsync(totalKey);
        var size = tran.StringGetAsync(sizeKey);
        if (WholeSeconds(ResultExpires) is { } ttl)
        {
            _ = tran.KeyExpireAsync(joinKey, ttl);
            _ = tran.KeyExpireAsync(totalKey, ttl);
            _ = tran.KeyExpireAsync(sizeKey, ttl);
        }

        await tran.ExecuteAsync().ConfigureAwait(false);
        var sizeValue = await size.ConfigureAwait(false);
        if (sizeValue.IsNull || !long.TryParse((string?)sizeValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var expected))
        {
            return null;
        }

        var totalValue = await total.ConfigureAwait(false);
        _ = long.TryParse((string?)totalValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var diff);
        // Only a part that is new completes the join: a task reporting the same end twice (redelivered) cannot send the body twice.
        if (await count.ConfigureAwait(false) != expected + diff || !await added.ConfigureAwait(false))
        {
            return null;
        }

        var entries = await db.SortedSetRangeByRankAsync(joinKey).ConfigureAwait(false);
        var results = new List<ChordMember>(entries.Length);
        foreach (var entry in entries)
        {
            results.Add(ChordMember.Decode((byte[])entry!));
        }

        await db.KeyDeleteAsync([joinKey, totalKey, sizeKey]).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc />
    protected override async ValueTask DeleteValueAsync(string key, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.KeyDeleteAsync(key).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Unused: <see cref="WaitForReadyAsync"/> waits on the key's channel itself.</remarks>
    protected override Task WatchAsync(string key, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        var first = Interlocked.Exchange(ref _disposed, 1) == 0;
        if (first)
        {
            // Results still being written go out before the connection closes.
            await _stores.DisposeAsync().ConfigureAwait(false);
        }

        if (first && _connection.IsValueCreated)
        {
            try
            {
                var connection = await _connection.Value.ConfigureAwait(false);
                await connection.CloseAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                LogUnsubscribeFailed(ex, "(close)");
            }
        }

        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    private static ResultBackendContext NotNull(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context;
    }

    /// <summary>Celery writes SETEX with whole seconds (result_expires is an int), or SET when results never expire.</summary>
    private static TimeSpan? WholeSeconds(TimeSpan? expires) =>
        expires is { } e ? TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(e.TotalSeconds))) : null;

    private static ResultMeta? TryReady(byte[] value, string taskId)
    {
        try
        {
            var meta = ResultMetaCodec.Decode(value, taskId);
            return TaskStates.IsReady(meta.Status) ? meta : null;
        }
        catch (MessageDecodeException)
        {
            return null;
        }
    }

    private Task<ConnectionMultiplexer> ConnectionAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return _connection.Value;
    }

    private async ValueTask<IDatabase> DatabaseAsync() => (await ConnectionAsync().ConfigureAwait(false)).GetDatabase();

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(_endpoint.ToConfiguration("celeriac-results")).ConfigureAwait(false);
        connection.ConnectionRestored += (_, _) => _reconnected.Pulse();
        return connection;
    }

    private void OnRetry(Exception ex, int attempt) => LogWaitingForBackend(ex.Message, attempt);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "The Redis result backend is unavailable ({Reason}); retrying, attempt {Attempt}")]
    private partial void LogWaitingForBackend(string reason, int attempt);

    [LoggerMessage(EventId = 420, Level = LogLevel.Debug, Message = "Unsubscribing from {Channel} failed")]
    private partial void LogUnsubscribeFailed(Exception ex, string channel);
}
