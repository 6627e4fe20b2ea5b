using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Schedules;

/// <summary>
/// Beat's state in a local JSON file (<c>beat_schedule_filename</c>, default <c>celerybeat-schedule.json</c>; Celery's
/// shelve file in JSON), written whole by replace-on-rename after every send. Leadership is an exclusive OS lock on
/// <c>&lt;file&gt;.lock</c>, held while the beat runs and released by the OS when its process dies, so two beats on one
/// machine and one file never both send. A corrupt file is set aside as <c>&lt;file&gt;.corrupt</c> and beat starts afresh.
/// Format: <c>{"version": 1, "timezone": "Asia/Shanghai", "fencing_token": 3, "leader": "beat@host:pid",
/// "entries": {"name": {"task": "proj.add", "last_run_at": "2026-12-01T08:00:00.0000000+08:00", "total_run_count": 5}}}</c>.
/// </summary>
public sealed class FileBeatStore : IBeatStore
{
    private const int Version = 1;

    // Relaxed escaping keeps "+08:00" readable; the file is read only as JSON, never embedded in HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _lock = new();
    private FileStream? _lockFile;
    private BeatLease? _held;

    /// <summary>Creates the store on <paramref name="path"/> (relative to the working directory).</summary>
    public FileBeatStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The state file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Description => Path;

    /// <inheritdoc />
    public ValueTask<BeatLease?> TryAcquireAsync(string owner, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_held is not null)
            {
                return ValueTask.FromResult<BeatLease?>(null);
            }

            FileStream stream;
            try
            {
                stream = new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return ValueTask.FromResult<BeatLease?>(null);
            }

            var (tz, token, entries) = Read(setAsideCorrupt: true);
            _lockFile = stream;
            _held = new BeatLease(owner, token + 1);
            Write(tz, _held, entries);
            return ValueTask.FromResult<BeatLease?>(_held);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RenewAsync(BeatLease lease, TimeSpan leaseTime, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(Holds(lease));
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(BeatLease lease, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Holds(lease))
            {
                _lockFile!.Dispose();
                _lockFile = null;
                _held = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<BeatStoreState> LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var (tz, _, entries) = Read(setAsideCorrupt: false);
            return ValueTask.FromResult(new BeatStoreState(tz, entries, _held ?? ReadLeader()));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SaveAsync(BeatLease lease, string timeZone, IReadOnlyDictionary<string, BeatEntryState> entries, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!Holds(lease))
            {
                return ValueTask.FromResult(false);
            }

            Write(timeZone, lease, new Dictionary<string, BeatEntryState>(entries, StringComparer.Ordinal));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SaveEntryAsync(BeatLease lease, string name, BeatEntryState state, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!Holds(lease))
            {
                return ValueTask.FromResult(false);
            }

            var (tz, _, entries) = Read(setAsideCorrupt: true);
            entries[name] = state;
            Write(tz, lease, entries);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _lockFile?.Dispose();
            _lockFile = null;
            _held = null;
        }

        return ValueTask.CompletedTask;
    }

    private bool Holds(BeatLease lease) => _held is not null && _held.FencingToken == lease.FencingToken;

    private BeatLease? ReadLeader()
    {
        var root = ReadRoot();
        return root?["leader"] is JsonValue owner && owner.TryGetValue<string>(out var o) && root["fencing_token"] is JsonValue t
            ? new BeatLease(o, t.GetValue<long>())
            : null;
    }

    private JsonObject? ReadRoot()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(Path)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private (string? TimeZone, long Token, Dictionary<string, BeatEntryState> Entries) Read(bool setAsideCorrupt)
    {
        var entries = new Dictionary<string, BeatEntryState>(StringComparer.Ordinal);
        if (!File.Exists(Path))
        {
            return (null, 0, entries);
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllText(Path)) as JsonObject ?? throw new JsonException("not a JSON object");
            if (root["version"]?.GetValue<int>() != Version)
            {
                throw new JsonException($"unknown version {root["version"]?.ToJsonString() ?? "none"}");
            }

            foreach (var (name, node) in root["entries"] as JsonObject ?? [])
            {
                var e = node as JsonObject ?? throw new JsonException($"entry {name} is not an object");
                entries[name] = new BeatEntryState(
                    e["task"]!.GetValue<string>(),
                    DateTimeOffset.Parse(e["last_run_at"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                    e["total_run_count"]!.GetValue<long>());
            }

            return (root["timezone"]?.GetValue<string>(), root["fencing_token"]?.GetValue<long>() ?? 0, entries);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            // Celery removes a corrupt schedule file and starts afresh; the leader keeps it aside for a look instead.
            if (setAsideCorrupt)
            {
                File.Move(Path, Path + ".corrupt", overwrite: true);
            }

            return (null, 0, entries);
        }
    }

    private void Write(string? timeZone, BeatLease lease, Dictionary<string, BeatEntryState> entries)
    {
        var e = new JsonObject();
        foreach (var (name, s) in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            e[name] = new JsonObject
            {
                ["task"] = s.Task,
                ["last_run_at"] = s.LastRunAt.ToString("O", CultureInfo.InvariantCulture),
                ["total_run_count"] = s.TotalRunCount,
            };
        }

        var root = new JsonObject
        {
            ["version"] = Version,
            ["timezone"] = timeZone,
            ["fencing_token"] = lease.FencingToken,
            ["leader"] = lease.Owner,
            ["entries"] = e,
        };
        var dir = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(dir);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, root.ToJsonString(Indented));
        File.Move(temp, Path, overwrite: true);
    }
}
