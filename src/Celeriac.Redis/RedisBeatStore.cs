using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Schedules;
using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// Beat's state and leader lease on the broker's Redis, so beats on several machines share one schedule. Keys (after
/// <c>global_keyprefix</c>): <c>celeriac.beat.&lt;app&gt;.lock</c> = <c>"owner|token"</c> with a PX expiry (the lease),
/// <c>.fence</c> (INCR counter, the fencing token), <c>.state</c> (hash: entry name → <c>{"task", "last_run_at",
/// "total_run_count"}</c>), <c>.meta</c> (hash: <c>timezone</c>). Taking the lease is SET NX PX in a script that also
/// draws the token; renewing, releasing and every state write are scripts that first check the lock still holds the
/// caller's value, so a beat whose lease lapsed (paused, partitioned) writes nothing.
/// </summary>
public sealed class RedisBeatStore : IBeatStore
{
    // KEYS: lock, fence. ARGV: owner, lease ms. Returns the new token, or nil when the lock is held.
    private const string AcquireScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return false end
        local token = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'NX', 'PX', ARGV[2])
        return token
        """;

    // KEYS: lock. ARGV: value, lease ms.
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    // KEYS: lock. ARGV: value.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // KEYS: lock, state. ARGV: value, name, state json.
    private const string SaveEntryScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
        return 1
        """;

    // KEYS: lock, state, meta. ARGV: value, timezone, then name, json pairs.
    private const string SaveAllScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[2])
        for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
        redis.call('HSET', KEYS[3], 'timezone', ARGV[2])
        return 1
        """;

    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly RedisKey _lock;
    private readonly RedisKey _fence;
    private readonly RedisKey _state;
    private readonly RedisKey _meta;
    private readonly int _database;

    /// <summary>Creates the store for the broker URL in <paramref name="context"/>; connects on first use.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL is malformed.</exception>
    public RedisBeatStore(BeatStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = RedisEndpoint.Parse(context.Url, "broker_url");
        _database = endpoint.Database;
        var prefix = (context.TransportOptions.TryGetValue("global_keyprefix", out var p) ? p : string.Empty) + "celeriac.beat." + context.AppName + ".";
        _lock = prefix + "lock";
        _fence = prefix + "fence";
        _state = prefix + "state";
        _meta = prefix + "meta";
        Description = endpoint.Redacted + " (keys " + prefix + "*)";
        _connection = new Lazy<Task<ConnectionMultiplexer>>(
            () => ConnectionMultiplexer.ConnectAsync(endpoint.ToConfiguration("celeriac-beat")),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>The factory registered for <c>redis://</c> and <c>rediss://</c> brokers.</summary>
    public static RedisBeatStore Create(BeatStoreContext context) => new(context);

    /// <inheritdoc />
    public async ValueTask<BeatLease?> TryAcquireAsync(string owner, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var db = await DbAsync().ConfigureAwait(false);
        var token = await db.ScriptEvaluateAsync(AcquireScript, [_lock, _fence], [owner, Ms(leaseTime)]).ConfigureAwait(false);
        return token.IsNull ? null : new BeatLease(owner, (long)token);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RenewAsync(BeatLease lease, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var db = await DbAsync().ConfigureAwait(false);
        return (long)await db.ScriptEvaluateAsync(RenewScript, [_lock], [Value(lease), Ms(leaseTime)]).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(BeatLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var db = await DbAsync().ConfigureAwait(false);
        await db.ScriptEvaluateAsync(ReleaseScript, [_lock], [Value(lease)]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<BeatStoreState> LoadAsync(CancellationToken cancellationToken = default)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var entries = db.HashGetAllAsync(_state);
        var zone = db.HashGetAsync(_meta, "timezone");
        var holder = db.StringGetAsync(_lock);
        var ttl = db.KeyTimeToLiveAsync(_lock);
        await Task.WhenAll(entries, zone, holder, ttl).ConfigureAwait(false);
        var state = new Dictionary<string, BeatEntryState>(StringComparer.Ordinal);
        foreach (var e in await entries.ConfigureAwait(false))
        {
            if (Parse(e.Value) is { } s)
            {
                state[e.Name!] = s;
            }
        }

        BeatLease? leader = null;
        if ((string?)await holder.ConfigureAwait(false) is { } value && value.LastIndexOf('|') is var bar and > 0
            && long.TryParse(value.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var token))
        {
            leader = new BeatLease(value[..bar], token);
        }

        return new BeatStoreState((string?)await zone.ConfigureAwait(false), state, leader, leader is null ? null : await ttl.ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async ValueTask<bool> SaveAsync(BeatLease lease, string timeZone, IReadOnlyDictionary<string, BeatEntryState> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(entries);
        var args = new List<RedisValue> { Value(lease), timeZone };
        foreach (var (name, s) in entries)
        {
            args.Add(name);
            args.Add(Json(s));
        }

        var db = await DbAsync().ConfigureAwait(false);
        return (long)await db.ScriptEvaluateAsync(SaveAllScript, [_lock, _state, _meta], [.. args]).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> SaveEntryAsync(BeatLease lease, string name, BeatEntryState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(state);
        var db = await DbAsync().ConfigureAwait(false);
        return (long)await db.ScriptEvaluateAsync(SaveEntryScript, [_lock, _state], [Value(lease), name, Json(state)]).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            try
            {
                await (await _connection.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisConnectionException)
            {
                // Never connected: nothing to close.
            }
        }
    }

    private async Task<IDatabase> DbAsync() => (await _connection.Value.ConfigureAwait(false)).GetDatabase(_database);

    private static string Value(BeatLease lease) => lease.Owner + "|" + lease.FencingToken.ToString(CultureInfo.InvariantCulture);

    private static long Ms(TimeSpan t) => Math.Max(1, (long)t.TotalMilliseconds);

    private static string Json(BeatEntryState s) => new JsonObject
    {
        ["task"] = s.Task,
        ["last_run_at"] = s.LastRunAt.ToString("O", CultureInfo.InvariantCulture),
        ["total_run_count"] = s.TotalRunCount,
    }.ToJsonString();

    private static BeatEntryState? Parse(RedisValue value)
    {
        try
        {
            var o = JsonNode.Parse((string)value!) as JsonObject;
            return o is null ? null : new BeatEntryState(
                o["task"]!.GetValue<string>(),
                DateTimeOffset.Parse(o["last_run_at"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                o["total_run_count"]!.GetValue<long>());
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            // A field someone else wrote badly: beat treats the entry as new rather than failing the whole schedule.
            return null;
        }
    }
}
