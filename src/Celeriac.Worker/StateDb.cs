using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// The worker's persistent state (<c>--statedb</c> / <c>worker_state_db</c>): revoked task ids with the time they
/// were revoked, and the Lamport clock. Loaded at start; written after every revoke (so a crash keeps them) and at
/// shutdown, through a temporary file and a rename so a reader never sees half a file. Celery's own file is a
/// Python shelve and is not portable; this JSON file keeps the same meaning. Source: celery/worker/state.py (Persistent).
/// </summary>
internal sealed partial class StateDb
{
    private readonly CeleriacApp _app;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    public StateDb(CeleriacApp app, string path, ILogger logger)
    {
        _app = app;
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    /// <summary>Reads the file, if any, into the app's revoked set and clock.</summary>
    /// <exception cref="CeleriacConfigurationException">The file exists but is not a state file.</exception>
    public void Load()
    {
        if (!File.Exists(_path))
        {
            return;
        }

        JsonNode? root;
        try
        {
            root = KombuJson.Parse(File.ReadAllBytes(_path));
        }
        catch (Exception ex) when (ex is MessageDecodeException or IOException or UnauthorizedAccessException)
        {
            throw new CeleriacConfigurationException("worker_state_db", $"cannot read state file '{_path}': {ex.Message}", ex);
        }

        if (root is not JsonObject state)
        {
            throw new CeleriacConfigurationException("worker_state_db", $"'{_path}' is not a Celeriac state file");
        }

        var revoked = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (state["revoked"] is JsonObject ids)
        {
            foreach (var (id, at) in ids)
            {
                if (JsonNumbers.TryGetDouble(at, out var ts))
                {
                    revoked[id] = DateTimeOffset.FromUnixTimeMilliseconds((long)(ts * 1000));
                }
            }
        }

        _app.Revocations.Merge(revoked);
        if (JsonNumbers.TryGetDouble(state["clock"], out var clock))
        {
            _app.Clock.Adjust((long)clock);
        }

        LogLoaded(revoked.Count, _path);
    }

    /// <summary>Writes the current state; errors are logged (the worker goes on).</summary>
    public void Save()
    {
        var ids = new JsonObject();
        foreach (var (id, at) in _app.Revocations.Snapshot())
        {
            ids[id] = WireTime.ToUnixSeconds(at);
        }

        var body = KombuJson.Serialize(new JsonObject { ["revoked"] = ids, ["clock"] = _app.Clock.Value });
        try
        {
            lock (_gate)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                var temp = _path + ".tmp";
                File.WriteAllBytes(temp, body);
                File.Move(temp, _path, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogSaveFailed(ex, _path);
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Loaded {Count} revoked task ids from {Path}")]
    private partial void LogLoaded(int count, string path);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Could not write the state file {Path}; revoked ids may be forgotten after a restart")]
    private partial void LogSaveFailed(Exception ex, string path);
}
