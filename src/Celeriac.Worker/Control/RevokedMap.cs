using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Worker.Control;

/// <summary>
/// Revoked ids as workers exchange them in <c>hello</c> (mingle): Celery sends its LimitedSet's data,
/// <c>{id: [monotonic seconds, id]}</c>, the time from <c>time.monotonic()</c>. Celeriac keeps wall-clock times, so it
/// converts through this machine's monotonic clock (the one Python reads, CLOCK_MONOTONIC); a time that makes no
/// sense here (another machine's clock) is taken as "now", which only keeps the id a little longer.
/// Source: celery/utils/collections.py (LimitedSet.add, update), celery/worker/control.py (hello).
/// </summary>
internal static class RevokedMap
{
    public static JsonObject ToWire(IReadOnlyDictionary<string, DateTimeOffset> revoked, TimeProvider time)
    {
        var (wallNow, monoNow) = Now(time);
        var map = new JsonObject();
        foreach (var (id, at) in revoked)
        {
            map[id] = new JsonArray(monoNow - (wallNow - at).TotalSeconds, id);
        }

        return map;
    }

    public static Dictionary<string, DateTimeOffset> FromWire(JsonObject map, TimeProvider time)
    {
        var (wallNow, monoNow) = Now(time);
        var revoked = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (id, value) in map)
        {
            var stamp = value is JsonArray { Count: > 0 } entry ? entry[0] : value;
            var at = wallNow;
            if (JsonNumbers.TryGetDouble(stamp, out var seconds))
            {
                // UNIX seconds (older Celeriac replies) are far larger than any monotonic reading.
                var candidate = seconds > 1e9 ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : wallNow - TimeSpan.FromSeconds(monoNow - seconds);
                if (candidate <= wallNow && wallNow - candidate < Revocations.Expiry)
                {
                    at = candidate;
                }
            }

            revoked[id] = at;
        }

        return revoked;
    }

    private static (DateTimeOffset Wall, double Monotonic) Now(TimeProvider time) =>
        (time.GetUtcNow(), time.GetTimestamp() / (double)time.TimestampFrequency);
}
