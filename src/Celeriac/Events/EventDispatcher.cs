using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Events;

/// <summary>
/// Publishes Celery events to the <c>celeryev</c> exchange, one event per message or, with
/// <see cref="SendBatchAsync"/>, a <c>task.multi</c> list (Celery receivers accept both). Every event gets <c>hostname</c>, <c>utcoffset</c>, <c>pid</c>,
/// <c>clock</c>, <c>timestamp</c> and <c>type</c>. A failure to publish is logged and never breaks the caller:
/// monitoring must not stop work. Source: celery/events/dispatcher.py (EventDispatcher.publish).
/// </summary>
public sealed partial class EventDispatcher
{
    private readonly CeleriacApp _app;
    private readonly ILogger _logger;
    private Task? _declaring;

    /// <summary>Creates a dispatcher that signs events with <paramref name="hostname"/>.</summary>
    public EventDispatcher(CeleriacApp app, string hostname)
    {
        _app = app ?? throw new ArgumentNullException(nameof(app));
        Hostname = hostname ?? throw new ArgumentNullException(nameof(hostname));
        _logger = app.LoggerFactory.CreateLogger("celeriac.events");
    }

    /// <summary>The sender's node name.</summary>
    public string Hostname { get; }

    /// <summary>Builds the event dict in Celery's field order: common fields, the event's own, then timestamp and type.</summary>
    public JsonObject Build(string type, JsonObject fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var now = _app.TimeProvider.GetUtcNow();
        var e = new JsonObject
        {
            ["hostname"] = Hostname,
            ["utcoffset"] = UtcOffset(_app.TimeProvider),
            ["pid"] = Environment.ProcessId,
            ["clock"] = _app.Clock.Forward(),
        };
        foreach (var (k, v) in fields)
        {
            e[k] = v?.DeepClone();
        }

        e["timestamp"] = WireTime.ToUnixSeconds(now);
        e["type"] = type;
        return e;
    }

    /// <summary>Sends one event; errors are logged, not thrown.</summary>
    public ValueTask SendAsync(string type, JsonObject fields, CancellationToken cancellationToken = default) =>
        PublishAsync(Build(type, fields), EventNames.RoutingKey(type), type, cancellationToken);

    /// <summary>
    /// Sends events already built with <see cref="Build"/> as one message: a JSON list with routing key
    /// <c>&lt;group&gt;.multi</c> (<c>task.multi</c>), as a Celery 5 worker sends its buffered task events.
    /// Errors are logged, not thrown. Source: celery/events/dispatcher.py (EventDispatcher.flush).
    /// </summary>
    public ValueTask SendBatchAsync(IReadOnlyList<JsonObject> events, string group = "task", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(group);
        if (events.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var routingKey = group + ".multi";
        return PublishAsync(new JsonArray([.. events]), routingKey, routingKey, cancellationToken);
    }

    private async ValueTask PublishAsync(JsonNode body, string routingKey, string what, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureDeclaredAsync(cancellationToken).ConfigureAwait(false);
            var message = new TransportMessage
            {
                Body = KombuJson.Serialize(body),
                Headers = new JsonObject { [EventNames.HostnameHeader] = Hostname },
                Properties = new MessageProperties { DeliveryMode = 1, Priority = 0 },
            };
            await _app.Transport.PublishAsync(message, EventNames.Exchange, routingKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            LogSendFailed(ex, what);
        }
    }

    /// <summary>
    /// Python's <c>utcoffset()</c>: hours west of UTC (so UTC+2 is -2), from the local zone, as Celery sends it.
    /// Source: celery/utils/time.py (utcoffset).
    /// </summary>
    public static int UtcOffset(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var offset = timeProvider.LocalTimeZone.GetUtcOffset(timeProvider.GetUtcNow());
        return (int)Math.Floor(-offset.TotalSeconds / 3600);
    }

    private async ValueTask EnsureDeclaredAsync(CancellationToken cancellationToken)
    {
        // Declared once; a failed declaration is forgotten so the next event tries again.
        var declaring = Volatile.Read(ref _declaring);
        if (declaring is null)
        {
            var mine = DeclareAsync(cancellationToken);
            declaring = Interlocked.CompareExchange(ref _declaring, mine, null) ?? mine;
        }

        try
        {
            await declaring.ConfigureAwait(false);
        }
        catch
        {
            _ = Interlocked.CompareExchange(ref _declaring, null, declaring);
            throw;
        }
    }

    private async Task DeclareAsync(CancellationToken cancellationToken) =>
        await _app.Transport.DeclareExchangeAsync(new ExchangeDeclaration(EventNames.Exchange, EventNames.ExchangeTypeFor(_app.Transport)), cancellationToken).ConfigureAwait(false);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Could not send event {Type}")]
    private partial void LogSendFailed(Exception ex, string type);
}
