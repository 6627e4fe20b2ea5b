using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// <c>redis://</c> broker, byte-compatible with kombu's Redis transport (Celery §4): one list per queue and priority
/// step, envelopes as kombu writes them, bindings in <c>_kombu.binding.*</c> sets, fanout as PUB/SUB, and kombu's ack
/// emulation (<c>unacked</c> hash + <c>unacked_index</c> sorted set, restored after <c>visibility_timeout</c>), so Python
/// and .NET workers share queues and recover each other's messages. Source: kombu/transport/redis.py (Channel, QoS),
/// kombu/transport/virtual/base.py, kombu/transport/virtual/exchange.py.
/// </summary>
public sealed partial class RedisTransport : ITransport
{
    private readonly ConcurrentDictionary<string, ExchangeType> _exchangeTypes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FanoutBinding> _fanoutQueues = new(StringComparer.Ordinal);
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly ILogger _logger;
    private readonly WriteBatcher<string> _acks;
    private readonly WriteBatcher<(string List, byte[] Envelope)> _publishes;
    private int _disposing;
    private int _disposed;

    /// <summary>Creates the transport for the context's URL; connects on first use.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL or an option is malformed (the message names <c>broker_url</c> or the option).</exception>
    public RedisTransport(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Endpoint = RedisEndpoint.Parse(context.Url, "broker_url");
        Options = RedisTransportOptions.Read(context, Endpoint.Database);
        Clock = context.TimeProvider;
        LoggerFactory = context.LoggerFactory;
        _logger = context.LoggerFactory.CreateLogger<RedisTransport>();
        _connection = new Lazy<Task<ConnectionMultiplexer>>(
            () => ConnectionMultiplexer.ConnectAsync(Endpoint.ToConfiguration("celeriac")),
            LazyThreadSafetyMode.ExecutionAndPublication);
        // Inline completions: an ack's awaiter is a delivery settling itself (a counter and a wake-up), never user code.
        _acks = new WriteBatcher<string>(WriteAcksAsync, maxBatch: 512, inlineCompletions: true);
        _publishes = new WriteBatcher<(string, byte[])>(WritePublishesAsync, maxBatch: 1000);
    }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; } = new("redis", SurvivesProcessCrash: true, CrossProcess: true, SupportsPriority: true);

    /// <summary>kombu's <c>visibility_timeout</c>: unacked messages older than this are restored by any consumer.</summary>
    public TimeSpan VisibilityTimeout => Options.VisibilityTimeout;

    internal RedisEndpoint Endpoint { get; }

    internal RedisTransportOptions Options { get; }

    internal TimeProvider Clock { get; }

    internal ILoggerFactory LoggerFactory { get; }

    /// <summary>Creates the transport; the factory registered for <c>redis://</c> and <c>rediss://</c>.</summary>
    public static RedisTransport Create(TransportContext context) => new(context);

    /// <inheritdoc />
    public ValueTask DeclareExchangeAsync(ExchangeDeclaration exchange, CancellationToken cancellationToken = default)
    {
        // kombu keeps exchange types in the declaring process only; an undeclared exchange routes as direct.
        ArgumentNullException.ThrowIfNull(exchange);
        _exchangeTypes[exchange.Name] = exchange.Type;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DeclareQueueAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        // kombu's queue_declare only sizes the queue; its lists come into being with the first LPUSH.
        ArgumentNullException.ThrowIfNull(queue);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        var type = TypeOf(exchange);
        if (type == ExchangeType.Fanout)
        {
            // kombu's _queue_bind: a queue bound to a fanout exchange is consumed by PSUBSCRIBE, '#' becoming glob '*'.
            _fanoutQueues[queue] = new FanoutBinding(exchange, routingKey.Replace('#', '*'));
        }

        var pattern = type == ExchangeType.Topic ? TopicPattern(routingKey) : string.Empty;
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.SetAddAsync(Key(RedisKeys.BindingPrefix + exchange), RedisKeys.BindingMember(routingKey, pattern, queue)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask PublishAsync(TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        var envelope = new KombuEnvelope(message, exchange, routingKey, Guid.NewGuid().ToString()).Encode();
        var db = await DatabaseAsync().ConfigureAwait(false);
        if (exchange.Length > 0 && TypeOf(exchange) == ExchangeType.Fanout)
        {
            await db.PublishAsync(RedisChannel.Literal(PublishTopic(exchange, routingKey)), envelope).ConfigureAwait(false);
            return;
        }

        var queues = exchange.Length == 0 ? [routingKey] : await LookupAsync(db, exchange, routingKey).ConfigureAwait(false);
        if (queues.Count == 0)
        {
            // kombu drops such messages without a word; we at least say so.
            LogUnroutable(exchange, routingKey);
            return;
        }

        var step = Options.StepFor(message.Properties.Priority);
        foreach (var queue in queues)
        {
            await _publishes.WriteAsync((Key(RedisKeys.QueueList(queue, step)), envelope)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConsumer> ConsumeAsync(IReadOnlyList<string> queues, int prefetchCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (queues.Count == 0)
        {
            throw new ArgumentException("consume at least one queue", nameof(queues));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var consumer = new RedisConsumer(this, queues, prefetchCount, _logger);
        try
        {
            await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return consumer;
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var tran = db.CreateTransaction();
        var sizes = new List<Task<long>>();
        foreach (var step in Options.PrioritySteps)
        {
            var list = Key(RedisKeys.QueueList(queue, step));
            sizes.Add(tran.ListLengthAsync(list));
            _ = tran.KeyDeleteAsync(list);
        }

        await tran.ExecuteAsync().ConfigureAwait(false);
        var total = 0L;
        foreach (var size in sizes)
        {
            total += await size.ConfigureAwait(false);
        }

        return total;
    }

    /// <inheritdoc />
    public async ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var db = await DatabaseAsync().ConfigureAwait(false);

        // kombu's _delete: SREM the queue's bindings, DEL its lists. Our API names only the queue, so look in every binding set.
        var pattern = EscapeGlob(Key(RedisKeys.BindingPrefix)) + "*";
        var cursor = "0";
        do
        {
            var page = (RedisResult[])(await db.ExecuteAsync(RedisKeys.Scan, cursor, RedisKeys.Match, pattern, RedisKeys.Count, 500).ConfigureAwait(false))!;
            cursor = (string)page[0]!;
            foreach (var key in (RedisKey[])page[1]!)
            {
                var members = await db.SetMembersAsync(key).ConfigureAwait(false);
                var mine = members.Where(m => RedisKeys.QueueOfBinding(m.ToString()) == queue).ToArray();
                if (mine.Length > 0)
                {
                    await db.SetRemoveAsync(key, mine).ConfigureAwait(false);
                }
            }
        }
        while (cursor != "0");

        await db.KeyDeleteAsync([.. Options.PrioritySteps.Select(step => Key(RedisKeys.QueueList(queue, step)))]).ConfigureAwait(false);
        _fanoutQueues.TryRemove(queue, out _);
    }

    /// <inheritdoc />
    public async ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var total = 0L;
        foreach (var step in Options.PrioritySteps)
        {
            total += await db.ListLengthAsync(Key(RedisKeys.QueueList(queue, step))).ConfigureAwait(false);
        }

        return total;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            return;
        }

        // Publishes and acks already asked for are sent before the connection closes.
        await _publishes.DisposeAsync().ConfigureAwait(false);
        await _acks.DisposeAsync().ConfigureAwait(false);

        Volatile.Write(ref _disposed, 1);

        if (_connection.IsValueCreated)
        {
            try
            {
                var connection = await _connection.Value.ConfigureAwait(false);
                await connection.CloseAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                LogCloseFailed(ex);
            }
        }
    }

    /// <summary>The key (or channel) <paramref name="name"/> with <c>global_keyprefix</c> prepended.</summary>
    internal string Key(string name) => Options.GlobalKeyPrefix + name;

    /// <summary>The shared (non-blocking) connection's database.</summary>
    internal async ValueTask<IDatabase> DatabaseAsync() => (await ConnectionAsync().ConfigureAwait(false)).GetDatabase();

    /// <summary>The shared connection: every command but the blocking pop, and every subscription.</summary>
    internal Task<ConnectionMultiplexer> ConnectionAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return _connection.Value;
    }

    /// <summary>The fanout binding of <paramref name="queue"/>, when it is bound to a fanout exchange.</summary>
    internal bool TryGetFanout(string queue, out FanoutBinding binding) => _fanoutQueues.TryGetValue(queue, out binding!);

    /// <summary>kombu's <c>_get_publish_topic</c> / <c>_get_subscribe_topic</c>: <c>/&lt;db&gt;.exchange[/routing_key]</c>.</summary>
    internal string PublishTopic(string exchange, string routingKey) =>
        Key(Options.FanoutPrefix + exchange + (routingKey.Length > 0 && Options.FanoutPatterns ? "/" + routingKey : string.Empty));

    /// <summary>
    /// Records a delivery in kombu's ack emulation: <c>MULTI; ZADD unacked_index now tag; HSET unacked tag
    /// [envelope, exchange, routing_key]; EXEC</c> (kombu's QoS.append).
    /// </summary>
    internal Task AppendUnackedAsync(string tag, byte[] envelope, string exchange, string routingKey) =>
        RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                var tran = db.CreateTransaction();
                _ = tran.SortedSetAddAsync(Key(RedisKeys.UnackedIndex), tag, NowScore());
                _ = tran.HashSetAsync(Key(RedisKeys.Unacked), tag, UnackedEntry(envelope, exchange, routingKey));
                await tran.ExecuteAsync().ConfigureAwait(false);
            },
            Clock,
            OnRetry);

    /// <summary>
    /// Ack, or reject without requeue: <c>HDEL unacked tags...</c> then <c>ZREM unacked_index tags...</c>, pipelined, for every
    /// ack waiting when the previous batch came back (one round trip and two commands per batch under load). The
    /// order needs no MULTI: an index entry left without its hash entry is only cleared by the next restore.
    /// Waits out a restart.
    /// </summary>
    internal Task RemoveUnackedAsync(string tag) => _acks.WriteAsync(tag);

    private Task WriteAcksAsync(IReadOnlyList<string> batch)
    {
        var tags = batch.Select(t => (RedisValue)t).ToArray();
        return RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                var hdel = db.HashDeleteAsync(Key(RedisKeys.Unacked), tags);
                var zrem = db.SortedSetRemoveAsync(Key(RedisKeys.UnackedIndex), tags);
                await Task.WhenAll(hdel, zrem).ConfigureAwait(false);
            },
            Clock,
            OnRetry);
    }

    /// <summary>
    /// kombu's publish, <c>LPUSH list envelope</c>, for every publish waiting when the previous batch came back: consecutive
    /// envelopes for one list go in one <c>LPUSH list e1 e2 ...</c>, which leaves the list exactly as single LPUSHes in that
    /// order would (e1 is consumed first).
    /// </summary>
    private async Task WritePublishesAsync(IReadOnlyList<(string List, byte[] Envelope)> batch)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var pushes = new List<Task>();
        for (var i = 0; i < batch.Count;)
        {
            var list = batch[i].List;
            var run = i;
            while (run < batch.Count && string.Equals(batch[run].List, list, StringComparison.Ordinal))
            {
                run++;
            }

            pushes.Add(run - i == 1
                ? db.ListLeftPushAsync(list, batch[i].Envelope)
                : db.ListLeftPushAsync(list, [.. Enumerable.Range(i, run - i).Select(k => (RedisValue)batch[k].Envelope)]));
            i = run;
        }

        await Task.WhenAll(pushes).ConfigureAwait(false);
    }

    /// <summary>
    /// Pops up to <paramref name="count"/> messages from <paramref name="lists"/> (in order) and records them as unacked in
    /// one atomic script (<see cref="RedisKeys.PopBatchScript"/>). Returns [list, element, tag] triples.
    /// </summary>
    internal async Task<RedisResult[]> PopBatchAsync(IReadOnlyList<string> lists, IReadOnlyList<string> queues, int queuesPerStep, int count)
    {
        var keys = new RedisKey[(lists.Count * 2) + 2];
        for (var i = 0; i < lists.Count; i++)
        {
            keys[i] = lists[i];
            keys[lists.Count + i] = Key(RedisKeys.DeadLetterList(queues[i]));
        }

        keys[^2] = Key(RedisKeys.Unacked);
        keys[^1] = Key(RedisKeys.UnackedIndex);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var result = await db.ScriptEvaluateAsync(RedisKeys.PopBatchScript, keys, [count, NowScore(), queuesPerStep]).ConfigureAwait(false);
        return (RedisResult[])result!;
    }

    /// <summary>
    /// Moves a held message aside: <c>MULTI; LPUSH _celeriac.dead.&lt;queue&gt; raw; ZREM unacked_index tag; HDEL unacked tag;
    /// EXEC</c>, so it is in exactly one place at every moment.
    /// </summary>
    internal Task DeadLetterAsync(string tag, string queue, byte[] raw) =>
        RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                var tran = db.CreateTransaction();
                _ = tran.ListLeftPushAsync(Key(RedisKeys.DeadLetterList(queue)), raw);
                _ = tran.SortedSetRemoveAsync(Key(RedisKeys.UnackedIndex), tag);
                _ = tran.HashDeleteAsync(Key(RedisKeys.Unacked), tag);
                await tran.ExecuteAsync().ConfigureAwait(false);
            },
            Clock,
            OnRetry);

    /// <summary>Puts a popped element that is not a readable envelope straight into the queue's dead-letter list.</summary>
    internal Task PushDeadAsync(string queue, byte[] raw) =>
        RedisRetry.RunAsync(
            async () =>
            {
                var db = await DatabaseAsync().ConfigureAwait(false);
                await db.ListLeftPushAsync(Key(RedisKeys.DeadLetterList(queue)), raw).ConfigureAwait(false);
            },
            Clock,
            OnRetry);

    /// <summary>Refreshes the <c>unacked_index</c> score of messages still held (ZADD XX: never resurrects a settled one).</summary>
    internal async Task RenewAsync(IReadOnlyCollection<string> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        var db = await DatabaseAsync().ConfigureAwait(false);
        var now = NowScore();
        await db.SortedSetAddAsync(Key(RedisKeys.UnackedIndex), [.. tags.Select(t => new SortedSetEntry(t, now))], SortedSetWhen.Exists).ConfigureAwait(false);
    }

    /// <summary>
    /// kombu's QoS.restore_by_tag: under WATCH of the entry, remove it from the indices and push the envelope, flagged
    /// redelivered, to the queue it was routed to: at the head (RPUSH) for a restore, at the back (LPUSH,
    /// <paramref name="leftmost"/>) for a reject with requeue. An entry already gone (acked, or restored by someone
    /// else) only has its indices cleared. Returns whether a message was pushed.
    /// </summary>
    internal async Task<bool> RestoreByTagAsync(string tag, bool leftmost)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var unacked = Key(RedisKeys.Unacked);
        var payload = await db.HashGetAsync(unacked, tag).ConfigureAwait(false);
        if (payload.IsNull)
        {
            await RemoveUnackedAsync(tag).ConfigureAwait(false);
            return false;
        }

        byte[]? restored = null;
        IReadOnlyList<string> queues = [];
        var step = 0;
        (byte[] Raw, string List)? dead = null;
        (byte[] Envelope, string Exchange, string RoutingKey)? entry = null;
        try
        {
            entry = ReadUnackedEntry(payload!);
            var (envelope, exchange, routingKey) = entry.Value;
            var decoded = KombuEnvelope.Decode(envelope);
            restored = (decoded with { Redelivered = true }).Encode();
            queues = exchange.Length == 0 ? [routingKey] : await LookupAsync(db, exchange, routingKey).ConfigureAwait(false);

            // kombu ≥ 5.4 restores into the message's priority list (5.2/5.3 used the base list): priority is kept.
            step = Options.StepFor(decoded.Message.Properties.Priority);
        }
        catch (Exception ex) when (ex is JsonException or MessageDecodeException or InvalidOperationException or IndexOutOfRangeException)
        {
            // kombu logs "Could not restore message" and drops it; we keep it in a dead-letter list: the envelope in its
            // queue's list when the entry was readable, else the whole entry in _celeriac.dead.unacked.
            dead = entry is { } e
                ? (e.Envelope, Key(RedisKeys.DeadLetterList(e.RoutingKey)))
                : ((byte[])payload!, Key(RedisKeys.DeadLetterList(RedisKeys.Unacked)));
            LogRestoreUnreadable(ex, tag, dead.Value.List);
        }

        var tran = db.CreateTransaction();
        tran.AddCondition(Condition.HashEqual(unacked, tag, payload));
        _ = tran.SortedSetRemoveAsync(Key(RedisKeys.UnackedIndex), tag);
        _ = tran.HashDeleteAsync(unacked, tag);
        if (restored is not null)
        {
            foreach (var queue in queues)
            {
                var list = Key(RedisKeys.QueueList(queue, step));
                _ = leftmost ? tran.ListLeftPushAsync(list, restored) : tran.ListRightPushAsync(list, restored);
            }
        }
        else if (dead is { } d)
        {
            _ = tran.ListLeftPushAsync(d.List, d.Raw);
        }

        return await tran.ExecuteAsync().ConfigureAwait(false) && restored is not null && queues.Count > 0;
    }

    /// <summary>
    /// kombu's QoS.restore_visible: under <c>unacked_mutex</c> (SET NX PX), restore every unacked message delivered
    /// longer than <c>visibility_timeout</c> ago, whoever holds it. Returns how many were restored.
    /// </summary>
    internal async Task<int> RestoreVisibleAsync()
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var mutex = Key(RedisKeys.UnackedMutex);
        var token = Guid.NewGuid().ToString("N");

        // Exactly kombu's Mutex: SET unacked_mutex <token> PX 300000 NX.
        var taken = await db.ExecuteAsync(RedisKeys.Set, (RedisKey)mutex, token, RedisKeys.Px, (long)RedisKeys.UnackedMutexExpire.TotalMilliseconds, RedisKeys.Nx).ConfigureAwait(false);
        if (taken.IsNull)
        {
            // Someone else is restoring right now.
            return 0;
        }

        try
        {
            var ceiling = NowScore() - Options.VisibilityTimeout.TotalSeconds;
            var stale = (RedisResult[])(await db.ExecuteAsync(RedisKeys.Zrevrangebyscore, (RedisKey)Key(RedisKeys.UnackedIndex), ceiling, 0, RedisKeys.WithScores).ConfigureAwait(false))!;
            var restored = 0;
            for (var i = 0; i + 1 < stale.Length; i += 2)
            {
                var tag = (string)stale[i]!;
                if (await RestoreByTagAsync(tag, leftmost: false).ConfigureAwait(false))
                {
                    restored++;
                }
            }

            if (restored > 0)
            {
                LogRestored(restored, Options.VisibilityTimeout.TotalSeconds);
            }

            return restored;
        }
        finally
        {
            await db.ScriptEvaluateAsync(RedisKeys.ReleaseMutexScript, [mutex], [token]).ConfigureAwait(false);
        }
    }

    /// <summary>The current time as kombu scores it: UNIX seconds, fractional.</summary>
    internal double NowScore() => (Clock.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    /// <summary>kombu's unacked entry: <c>[envelope, "exchange", "routing_key"]</c> with Python's separators.</summary>
    internal static byte[] UnackedEntry(byte[] envelope, string exchange, string routingKey)
    {
        var ex = JsonString(exchange);
        var rk = JsonString(routingKey);
        var entry = new byte[envelope.Length + ex.Length + rk.Length + 6];
        var span = entry.AsSpan();
        span[0] = (byte)'[';
        envelope.CopyTo(span[1..]);
        var at = 1 + envelope.Length;
        ", "u8.CopyTo(span[at..]);
        at += 2;
        ex.CopyTo(span[at..]);
        at += ex.Length;
        ", "u8.CopyTo(span[at..]);
        at += 2;
        rk.CopyTo(span[at..]);
        at += rk.Length;
        span[at] = (byte)']';
        return entry;
    }

    /// <summary>A JSON string as Python's <c>json.dumps</c> writes it (<c>ensure_ascii</c>: non-ASCII as <c>\uXXXX</c>).</summary>
    private static byte[] JsonString(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                '\b' => sb.Append("\\b"),
                '\f' => sb.Append("\\f"),
                < ' ' or > '~' => sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }

        return Encoding.ASCII.GetBytes(sb.Append('"').ToString());
    }

    private static (byte[] Envelope, string Exchange, string RoutingKey) ReadUnackedEntry(byte[] entry)
    {
        using var doc = JsonDocument.Parse(entry);
        var root = doc.RootElement;
        var envelope = Encoding.UTF8.GetBytes(root[0].GetRawText());
        return (envelope, root[1].GetString() ?? string.Empty, root[2].GetString() ?? string.Empty);
    }

    /// <summary>kombu's TopicExchange.key_to_pattern: the regex text Python peers match routing keys with.</summary>
    internal static string TopicPattern(string routingKey)
    {
        var escaped = new StringBuilder(routingKey.Length * 2);
        foreach (var c in routingKey)
        {
            if (char.IsLetterOrDigit(c) || c is '.' or '#' or '*')
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append(c == '\0' ? "\\000" : "\\" + c);
            }
        }

        var words = escaped.ToString().Split('.').Select(w => w switch
        {
            "*" => @".*?[^\.]",
            "#" => ".*?",
            _ => w,
        });
        return "^" + string.Join(@"\.", words) + "$";
    }

    private ExchangeType TypeOf(string exchange) => _exchangeTypes.TryGetValue(exchange, out var t) ? t : ExchangeType.Direct;

    private async Task<IReadOnlyList<string>> LookupAsync(IDatabase db, string exchange, string routingKey)
    {
        var members = await db.SetMembersAsync(Key(RedisKeys.BindingPrefix + exchange)).ConfigureAwait(false);
        var type = TypeOf(exchange);
        var queues = new List<string>();
        foreach (var member in members)
        {
            var parts = member.ToString().Split(RedisKeys.Separator);
            if (parts.Length != 3)
            {
                continue;
            }

            var matches = type switch
            {
                ExchangeType.Fanout => true,

                // Routed by the binding key with AMQP semantics. kombu itself matches its regex, whose '*' also spans dots;
                // the regex is still written for Python peers (see BindQueueAsync).
                ExchangeType.Topic => TopicMatcher.IsMatch(parts[0], routingKey),
                _ => string.Equals(parts[0], routingKey, StringComparison.Ordinal),
            };
            if (matches && !queues.Contains(parts[2], StringComparer.Ordinal))
            {
                queues.Add(parts[2]);
            }
        }

        return queues;
    }

    private static string EscapeGlob(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Message to exchange '{Exchange}' with routing key '{RoutingKey}' matched no bound queue and was dropped")]
    private partial void LogUnroutable(string exchange, string routingKey);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Restored {Count} unacknowledged messages older than the visibility timeout ({Seconds}s)")]
    private partial void LogRestored(int count, double seconds);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Could not restore unacknowledged message {Tag}: its stored entry is unreadable; moved to the dead-letter list {List}")]
    private partial void LogRestoreUnreadable(Exception ex, string tag, string list);

    private void OnRetry(Exception ex, int attempt) => LogWaitingForBroker(ex.Message, attempt);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Redis is unavailable ({Reason}); retrying the write, attempt {Attempt}")]
    private partial void LogWaitingForBroker(string reason, int attempt);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "Closing the Redis connection failed")]
    private partial void LogCloseFailed(Exception ex);
}
