using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker.Control;

/// <summary>
/// Celery's Mingle bootstep: before it consumes tasks, a starting worker broadcasts <c>hello</c> with its revoked ids,
/// waits a second for the other workers' replies, and merges their revoked ids and Lamport clocks, so a task revoked
/// while it was down is not run. Celery runs it on Redis and AMQP only (<c>--without-mingle</c> turns it off), as here.
/// Source: celery/worker/consumer/mingle.py.
/// </summary>
internal static partial class Mingle
{
    private static readonly TimeSpan ReplyWait = TimeSpan.FromSeconds(1);

    /// <summary>Whether a worker on <paramref name="app"/>'s transport mingles (Celery: amqp and redis).</summary>
    public static bool AppliesTo(CeleriacApp app) => app.Transport.Capabilities.Name is "redis" or "amqp";

    public static async Task SyncAsync(CeleriacApp app, string hostname, ILogger logger, CancellationToken cancellationToken)
    {
        LogSearching(logger);
        var hello = new JsonObject
        {
            ["from_node"] = hostname,
            ["revoked"] = RevokedMap.ToWire(app.Revocations.Snapshot(), app.TimeProvider),
        };
        IReadOnlyDictionary<string, JsonNode?> replies;
        try
        {
            replies = await app.Control.InspectAsync("hello", hello, timeout: ReplyWait, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Mingle is a courtesy: a worker that cannot ask still starts, as alone.
            LogFailed(logger, ex);
            return;
        }

        var neighbours = replies.Where(r => r.Key != hostname && r.Value is JsonObject).ToList();
        if (neighbours.Count == 0)
        {
            LogAlone(logger);
            return;
        }

        LogSyncing(logger, neighbours.Count);
        foreach (var (node, reply) in neighbours)
        {
            var fields = (JsonObject)reply!;
            if (Protocol.JsonNumbers.TryGetDouble(fields["clock"], out var clock) && clock > 0)
            {
                app.Clock.Adjust((long)clock);
            }
            else
            {
                app.Clock.Forward();
            }

            if (fields["revoked"] is JsonObject revoked && revoked.Count > 0)
            {
                app.Revocations.Merge(RevokedMap.FromWire(revoked, app.TimeProvider));
            }

            LogNode(logger, node);
        }

        LogComplete(logger);
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "mingle: searching for neighbors")]
    private static partial void LogSearching(ILogger logger);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Information, Message = "mingle: all alone")]
    private static partial void LogAlone(ILogger logger);

    [LoggerMessage(EventId = 1412, Level = LogLevel.Information, Message = "mingle: sync with {Count} nodes")]
    private static partial void LogSyncing(ILogger logger, int count);

    [LoggerMessage(EventId = 1413, Level = LogLevel.Debug, Message = "mingle: processing reply from {Node}")]
    private static partial void LogNode(ILogger logger, string node);

    [LoggerMessage(EventId = 1414, Level = LogLevel.Information, Message = "mingle: sync complete")]
    private static partial void LogComplete(ILogger logger);

    [LoggerMessage(EventId = 1415, Level = LogLevel.Warning, Message = "mingle: could not ask the other workers; starting without their revoked ids")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
