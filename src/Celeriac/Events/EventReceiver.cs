using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Events;

/// <summary>
/// Receives Celery events: its own queue <c>celeryev.&lt;uuid&gt;</c> (auto-delete, events kept 5 s, queue expires
/// after 60 s unused) bound to <c>celeryev</c> with a topic pattern (<c>#</c> = all). Batched <c>task.multi</c>
/// lists are flattened. Disposing removes the queue. Source: celery/events/receiver.py.
/// </summary>
public sealed class EventReceiver : IAsyncDisposable
{
    private readonly CeleriacApp _app;
    private ITransportConsumer? _consumer;

    /// <summary>Creates a receiver for events whose routing key matches <paramref name="routingKey"/>.</summary>
    public EventReceiver(CeleriacApp app, string routingKey = "#")
    {
        _app = app ?? throw new ArgumentNullException(nameof(app));
        RoutingKey = routingKey;
        Queue = EventNames.QueuePrefix + Guid.NewGuid().ToString();
    }

    /// <summary>The binding pattern.</summary>
    public string RoutingKey { get; }

    /// <summary>This receiver's queue.</summary>
    public string Queue { get; }

    /// <summary>Declares and binds the queue; events sent from now on are received.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var transport = _app.Transport;
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(EventNames.Exchange, EventNames.ExchangeTypeFor(transport)), cancellationToken).ConfigureAwait(false);
        await transport.DeclareQueueAsync(new QueueDeclaration(Queue, Durable: false, AutoDelete: true) { MessageTtl = EventNames.QueueTtl, Expires = EventNames.QueueExpires }, cancellationToken).ConfigureAwait(false);
        await transport.BindQueueAsync(Queue, EventNames.Exchange, RoutingKey, cancellationToken).ConfigureAwait(false);
        _consumer = await transport.ConsumeAsync([Queue], 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The events as they arrive, <c>task.multi</c> lists flattened, each with <c>local_received</c> added as Celery's
    /// receiver adds it; a malformed message is skipped.
    /// </summary>
    public async IAsyncEnumerable<JsonObject> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_consumer is null)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        await foreach (var delivery in _consumer!.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await delivery.AckAsync(CancellationToken.None).ConfigureAwait(false);
            JsonNode? body;
            try
            {
                body = KombuJson.Parse(delivery.Message.Body.Span);
            }
            catch (MessageDecodeException)
            {
                continue;
            }

            if (body is JsonObject single)
            {
                yield return Localize(single);
            }
            else if (body is JsonArray batch)
            {
                foreach (var e in batch.OfType<JsonObject>())
                {
                    yield return Localize(e);
                }
            }
        }
    }

    /// <summary>
    /// What Celery's receiver does to each event before handing it on: syncs the Lamport clock with it (a client's
    /// <c>task-sent</c> gets <c>own - 1</c> instead, clients never sync), moves <c>timestamp</c> into this machine's
    /// offset and adds <c>local_received</c>. Source: celery/events/receiver.py (event_from_message).
    /// </summary>
    private JsonObject Localize(JsonObject e)
    {
        if (e["type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && e["type"]!.GetValue<string>() == EventNames.TaskSent)
        {
            var skewed = Math.Max(_app.Clock.Value, 1) - 1;
            e["clock"] = skewed;
            _app.Clock.Adjust(skewed);
        }
        else if (JsonNumbers.TryGetDouble(e["clock"], out var clock))
        {
            _app.Clock.Adjust((long)clock);
        }
        else
        {
            e["clock"] = _app.Clock.Forward();
        }

        if (JsonNumbers.TryGetDouble(e["utcoffset"], out var offset) && JsonNumbers.TryGetDouble(e["timestamp"], out var timestamp))
        {
            var here = EventDispatcher.UtcOffset(_app.TimeProvider);
            if (offset != here)
            {
                e["timestamp"] = timestamp - ((offset - here) * 3600);
            }
        }

        e["local_received"] = WireTime.ToUnixSeconds(_app.TimeProvider.GetUtcNow());
        return e;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_consumer is not null)
        {
            await _consumer.DisposeAsync().ConfigureAwait(false);
            await _app.Transport.DeleteQueueAsync(Queue).ConfigureAwait(false);
        }
    }

}
