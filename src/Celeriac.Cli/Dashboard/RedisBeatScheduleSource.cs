using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Dashboard.Beat;
using Celeriac.Protocol;
using StackExchange.Redis;

namespace Celeriac.Cli.Dashboard;

/// <summary>
/// Reads a beat schedule that a scheduler keeps in Redis, for the dashboard's Beat page:
/// <list type="bullet">
/// <item><c>{prefix}:entries</c> — a hash, one field per entry name, each value a JSON object with <c>task</c>,
/// <c>schedule</c> (in words), <c>args</c>, <c>kwargs</c>, <c>queue</c>, <c>last_run_at</c> and <c>next_run_at</c>
/// (ISO 8601 or UNIX seconds), <c>total_run_count</c>, <c>enabled</c>;</item>
/// <item><c>{prefix}:leader</c> — the node name of the beat instance holding the lock (optional);</item>
/// <item><c>{prefix}:updated</c> — when the schedule was last written (optional).</item>
/// </list>
/// Celery's own beat keeps its schedule in a local shelve file that nothing else can read; this layout is what a
/// Redis-backed scheduler publishes. The Redis connection is opened on first read and reused.
/// </summary>
internal sealed class RedisBeatScheduleSource : IBeatScheduleSource, IAsyncDisposable
{
    public const string DefaultPrefix = "celeriac:beat";

    private readonly string _url;
    private readonly string _prefix;
    private readonly int _db;
    private readonly ConfigurationOptions _config;
    private ConnectionMultiplexer? _redis;

    public RedisBeatScheduleSource(string url, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss"))
        {
            throw new CeleriacConfigurationException("--beat-schedule", $"'{url}' is not a redis:// URL");
        }

        _url = url;
        _prefix = prefix;
        _db = uri.AbsolutePath.Trim('/') is { Length: > 0 } path && int.TryParse(path, NumberStyles.Integer, CultureInfo.InvariantCulture, out var db) ? db : 0;
        _config = new ConfigurationOptions { EndPoints = { { uri.Host, uri.Port > 0 ? uri.Port : 6379 } }, Ssl = uri.Scheme == "rediss", AbortOnConnectFail = false, ConnectTimeout = 5000 };
        if (uri.UserInfo.Split(':', 2) is [var user, var password])
        {
            _config.User = user.Length > 0 ? Uri.UnescapeDataString(user) : null;
            _config.Password = Uri.UnescapeDataString(password);
        }
    }

    public string Description => $"{Transport.BrokerUrl.Parse(_url).Redacted} {_prefix}:entries";

    public async Task<BeatScheduleSnapshot> ReadAsync(CancellationToken cancellationToken = default)
    {
        _redis ??= await ConnectionMultiplexer.ConnectAsync(_config).ConfigureAwait(false);
        var db = _redis.GetDatabase(_db);
        var entries = await db.HashGetAllAsync(_prefix + ":entries").ConfigureAwait(false);
        var leader = await db.StringGetAsync(_prefix + ":leader").ConfigureAwait(false);
        var updated = await db.StringGetAsync(_prefix + ":updated").ConfigureAwait(false);
        var list = new List<BeatEntryView>();
        foreach (var entry in entries.OrderBy(e => e.Name.ToString(), StringComparer.Ordinal))
        {
            if (JsonNode.Parse(entry.Value.ToString()) is not JsonObject o)
            {
                continue;
            }

            list.Add(new BeatEntryView
            {
                Name = entry.Name.ToString(),
                Task = Text(o["task"]) ?? "?",
                Schedule = Text(o["schedule"]) ?? "?",
                Args = o["args"] as JsonArray is { } a ? (JsonArray)a.DeepClone() : null,
                Kwargs = o["kwargs"] as JsonObject is { } k ? (JsonObject)k.DeepClone() : null,
                Queue = Text(o["queue"]),
                LastRunAt = Time(o["last_run_at"]),
                NextRunAt = Time(o["next_run_at"]),
                TotalRunCount = JsonNumbers.TryGetDouble(o["total_run_count"], out var n) ? (long)n : 0,
                Enabled = o["enabled"] is not JsonValue e || !e.TryGetValue<bool>(out var enabled) || enabled,
            });
        }

        return new BeatScheduleSnapshot(list, leader.HasValue ? leader.ToString() : null, updated.HasValue ? Time(JsonValue.Create(updated.ToString())) : null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static DateTimeOffset? Time(JsonNode? node)
    {
        if (JsonNumbers.TryGetDouble(node, out var seconds))
        {
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        }

        var text = Text(node);
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
        {
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null;
    }
}
