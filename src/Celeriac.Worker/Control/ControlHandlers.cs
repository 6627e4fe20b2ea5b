using System.Text.Json.Nodes;

namespace Celeriac.Worker.Control;

/// <summary>
/// The remote-control commands this worker answers, by Celery's method names, with Celery's reply shapes.
/// Source: celery/worker/control.py.
/// </summary>
internal sealed class ControlHandlers
{
    private readonly Dictionary<string, Func<JsonObject, ValueTask<JsonNode?>>> _handlers = new(StringComparer.Ordinal);

    public ControlHandlers()
    {
        _handlers["ping"] = _ => ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = "pong" });
    }

    public IReadOnlyCollection<string> Methods => _handlers.Keys;

    /// <summary>Runs <paramref name="method"/>; an unknown one or a failing handler gives Celery's error reply.</summary>
    public async ValueTask<JsonNode?> HandleAsync(string method, JsonObject arguments)
    {
        if (!_handlers.TryGetValue(method, out var handler))
        {
            return new JsonObject { ["error"] = $"KeyError('{method}')" };
        }

        try
        {
            return await handler(arguments).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new JsonObject { ["error"] = $"{ex.GetType().Name}('{ex.Message}')" };
        }
    }
}
