using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace Celeriac.E2E;

/// <summary>What the bench reads from Redis itself: command counts (INFO commandstats), result keys, their date_done.</summary>
internal sealed class RedisProbe(ConnectionMultiplexer admin, int port)
{
    /// <summary>Commands that no worker or client issues per task (connection set-up, health checks, this probe's own).</summary>
    private static readonly HashSet<string> NotPerTask = new(StringComparer.OrdinalIgnoreCase)
    {
        "info", "dbsize", "flushall", "flushdb", "scan", "mget", "ping", "echo", "config", "client", "cluster", "select", "hello", "auth", "command", "keys",
    };

    private IServer Server => admin.GetServer("127.0.0.1", port);

    public async Task FlushAsync() => await Server.FlushAllDatabasesAsync();

    /// <summary>INFO commandstats: calls per command (lower case), counting what scripts call too.</summary>
    public async Task<Dictionary<string, long>> CommandStatsAsync()
    {
        var text = (string?)await Server.ExecuteAsync("INFO", "commandstats") ?? string.Empty;
        var stats = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in text.Split('\n', StringSplitOptions.TrimEntries))
        {
            // cmdstat_lpush:calls=20000,usec=...,usec_per_call=...
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var calls = line[(colon + 1)..].Split(',')[0];
            stats[line[8..colon]] = long.Parse(calls[(calls.IndexOf('=', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
        }

        return stats;
    }

    /// <summary>The per-task commands between two snapshots, by command (probe and set-up commands left out).</summary>
    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Where(kv => !NotPerTask.Contains(kv.Key.Split('|')[0]))
            .Select(kv => (kv.Key, Calls: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Calls > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Calls, StringComparer.OrdinalIgnoreCase);

    /// <summary>CPU seconds redis-server has used (INFO cpu: used_cpu_user + used_cpu_sys).</summary>
    public async Task<double> CpuSecondsAsync()
    {
        var text = (string?)await Server.ExecuteAsync("INFO", "cpu") ?? string.Empty;
        return text.Split('\n', StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("used_cpu_user:", StringComparison.Ordinal) || l.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));
    }

    public async Task<long> ResultCountAsync(int db) => await Server.DatabaseSizeAsync(db);

    /// <summary>Every stored result of db <paramref name="db"/>: how many are SUCCESS, and the first and last date_done.</summary>
    public async Task<(int Success, DateTime First, DateTime Last)> ReadResultsAsync(int db)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in Server.KeysAsync(db, "celery-task-meta-*", pageSize: 1000))
        {
            keys.Add(key);
        }

        var database = admin.GetDatabase(db);
        var (success, first, last) = (0, DateTime.MaxValue, DateTime.MinValue);
        foreach (var chunk in keys.Chunk(1000))
        {
            foreach (var value in await database.StringGetAsync(chunk))
            {
                using var meta = JsonDocument.Parse((byte[])value!);
                if (meta.RootElement.GetProperty("status").GetString() != "SUCCESS")
                {
                    continue;
                }

                success++;
                var done = DateTime.Parse(meta.RootElement.GetProperty("date_done").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                first = done < first ? done : first;
                last = done > last ? done : last;
            }
        }

        return (success, first, last);
    }
}
