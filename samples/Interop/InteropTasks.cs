using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Tasks;

namespace Interop;

/// <summary>The interop task contract (shared/interop/tasks.py), with the same names and behaviour.</summary>
public static class InteropTasks
{
    /// <summary><c>x + y</c>, positional or as keywords; numbers of any size, or strings and lists as Python adds them.</summary>
    [CeleriacTask("interop.add")]
    public static JsonNode? Add(JsonNode? x, JsonNode? y) => PythonAdd.Add(x, y);

    /// <summary><c>x * y</c>.</summary>
    [CeleriacTask("interop.mul")]
    public static JsonNode? Mul(JsonNode? x, JsonNode? y) => PythonAdd.Multiply(x, y);

    /// <summary>The sum of a list (the chord callback receives the header's results).</summary>
    [CeleriacTask("interop.xsum")]
    public static JsonNode? XSum(JsonArray numbers)
    {
        JsonNode? total = 0;
        foreach (var n in numbers)
        {
            total = PythonAdd.Add(total, n);
        }

        return total;
    }

    /// <summary><c>{"args": [...], "kwargs": {...}}</c> exactly as received.</summary>
    [CeleriacTask("interop.echo")]
    public static JsonObject Echo([TaskKwargs] JsonObject kwargs, params JsonNode?[] args) =>
        new() { ["args"] = new JsonArray(args.Select(a => a?.DeepClone()).ToArray()), ["kwargs"] = kwargs.DeepClone() };

    /// <summary>Its argument unchanged.</summary>
    [CeleriacTask("interop.identity")]
    public static JsonNode? Identity(JsonNode? value) => value?.DeepClone();

    /// <summary>Fails with Python's <c>ValueError(message)</c>.</summary>
    [CeleriacTask("interop.fail")]
    public static JsonNode? Fail(string message = "boom") => throw TaskFailedException.Python("ValueError", message);

    /// <summary>Sleeps at least <paramref name="seconds"/> (as Python's <c>time.sleep</c>), then returns them as given.</summary>
    [CeleriacTask("interop.sleep")]
    public static async Task<JsonNode?> Sleep(JsonNode seconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        var duration = TimeSpan.FromSeconds(seconds.GetValue<double>());
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Timers may fire a little early; Python's sleep never returns before the time is up.
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) is var elapsed && elapsed < duration)
        {
            await Task.Delay(duration - elapsed + TimeSpan.FromMilliseconds(1), cancellationToken);
        }

        return seconds.DeepClone();
    }

    /// <summary>The first run retries after <paramref name="countdown"/> seconds (state RETRY); the retry returns <paramref name="value"/>.</summary>
    [CeleriacTask("interop.retry_once", MaxRetries = 3)]
    public static string RetryOnce(TaskContext context, string value = "ok", double countdown = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Retries < 1)
        {
            throw context.Retry(countdown: TimeSpan.FromSeconds(countdown));
        }

        return value;
    }
}
