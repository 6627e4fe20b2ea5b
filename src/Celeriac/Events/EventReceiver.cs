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

    /// <summary>The events as they arrive; a malformed message is skipped.</summary>
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
                _app.Clock.Adjust(ClockOf(single));
                yield return single;
            }
            else if (body is JsonArray batch)
            {
                foreach (var e in batch.OfType<JsonObject>())
                {
                    _app.Clock.Adjust(ClockOf(e));
                    yield return e;
                }
            }
        }
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

    private static long ClockOf(JsonObject e) => JsonNumbers.TryGetDouble(e["clock"], out var c) ? (long)c : 0;
}
