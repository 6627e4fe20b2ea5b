using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Control;

/// <summary>
/// Sends remote-control commands to workers and collects their replies (Celery's <c>app.control</c> broadcast):
/// the request goes to the <c>celery.pidbox</c> fanout exchange, replies come to this client's own queue.
/// Source: celery/app/control.py, kombu/pidbox.py (Mailbox._broadcast, _collect).
/// </summary>
public sealed class ControlClient
{
    private readonly CeleriacApp _app;

    /// <summary>Creates a client for <paramref name="app"/>'s broker.</summary>
    public ControlClient(CeleriacApp app)
    {
        _app = app ?? throw new ArgumentNullException(nameof(app));
    }

    /// <summary>
    /// Broadcasts <paramref name="method"/> and returns the replies, one <c>{nodename: result}</c> object per node,
    /// collected for <paramref name="timeout"/> or until <paramref name="limit"/> replies arrived.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> BroadcastAsync(
        string method,
        JsonObject? arguments = null,
        IReadOnlyList<string>? destination = null,
        TimeSpan? timeout = null,
        int? limit = null,
        CancellationToken cancellationToken = default)
    {
        var transport = _app.Transport;
        var wait = timeout ?? TimeSpan.FromSeconds(1);
        limit ??= destination?.Count;
        var ticket = Guid.NewGuid().ToString();

        // A reply queue per call, not per app: calls made at once (a dashboard, mingle) must not take each other's
        // replies, nor delete the queue another call still reads. Workers route by reply_to's key, whatever it is.
        var replyKey = Guid.NewGuid().ToString();
        var replyQueue = PidboxNames.ReplyQueue(replyKey);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(PidboxNames.Exchange, ExchangeType.Fanout, Durable: false), cancellationToken).ConfigureAwait(false);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(PidboxNames.ReplyExchange, ExchangeType.Direct, Durable: false), cancellationToken).ConfigureAwait(false);
        await transport.DeclareQueueAsync(new QueueDeclaration(replyQueue, Durable: false, AutoDelete: true) { MessageTtl = TimeSpan.FromSeconds(300), Expires = TimeSpan.FromSeconds(10) }, cancellationToken).ConfigureAwait(false);
        await transport.BindQueueAsync(replyQueue, PidboxNames.ReplyExchange, replyKey, cancellationToken).ConfigureAwait(false);

        var request = new PidboxRequest
        {
            Method = method,
            Arguments = arguments ?? [],
            Destination = destination,
            Ticket = ticket,
            ReplyTo = (PidboxNames.ReplyExchange, replyKey),
        };
        var deadline = _app.TimeProvider.GetUtcNow() + wait;
        var message = new TransportMessage
        {
            Body = request.Encode(),
            Headers = new JsonObject
            {
                [PidboxNames.ClockHeader] = _app.Clock.Forward(),
                [PidboxNames.ExpiresHeader] = WireTime.ToUnixSeconds(deadline),
            },
            Properties = new MessageProperties { DeliveryMode = 2, Priority = 0 },
        };

        var replies = new List<JsonObject>();
        try
        {
            await CollectAsync(message, ticket, replyQueue, wait, limit, replies, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await transport.DeleteQueueAsync(replyQueue, CancellationToken.None).ConfigureAwait(false);
        }

        return replies;
    }

    private async Task CollectAsync(TransportMessage message, string ticket, string replyQueue, TimeSpan wait, int? limit, List<JsonObject> replies, CancellationToken cancellationToken)
    {
        var transport = _app.Transport;
        var consumer = await transport.ConsumeAsync([replyQueue], 0, cancellationToken).ConfigureAwait(false);
        await using var disposeConsumer = consumer.ConfigureAwait(false);
        await transport.PublishAsync(message, PidboxNames.Exchange, string.Empty, cancellationToken).ConfigureAwait(false);
        using var collect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        collect.CancelAfter(wait);
        try
        {
            await foreach (var delivery in consumer.ReadAllAsync(collect.Token).ConfigureAwait(false))
            {
                await delivery.AckAsync(CancellationToken.None).ConfigureAwait(false);
                if (!string.Equals(delivery.Message.Headers[PidboxNames.TicketHeader]?.ToString(), ticket, StringComparison.Ordinal))
                {
                    continue;
                }

                if (JsonNumbers.TryGetDouble(delivery.Message.Headers[PidboxNames.ClockHeader], out var clock))
                {
                    _app.Clock.Adjust((long)clock);
                }

                try
                {
                    if (KombuJson.Parse(delivery.Message.Body.Span) is JsonObject reply)
                    {
                        replies.Add(reply);
                    }
                }
                catch (MessageDecodeException)
                {
                    // A garbled reply is skipped; the others still count.
                }

                if (limit is { } l && replies.Count >= l)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Sends a command without waiting for replies (Celery's cast), e.g. <c>revoke</c> broadcast to every worker.
    /// </summary>
    public async Task CastAsync(string method, JsonObject? arguments = null, IReadOnlyList<string>? destination = null, CancellationToken cancellationToken = default)
    {
        var transport = _app.Transport;
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(PidboxNames.Exchange, ExchangeType.Fanout, Durable: false), cancellationToken).ConfigureAwait(false);
        var request = new PidboxRequest { Method = method, Arguments = arguments ?? [], Destination = destination };
        var message = new TransportMessage
        {
            Body = request.Encode(),
            Headers = new JsonObject { [PidboxNames.ClockHeader] = _app.Clock.Forward(), [PidboxNames.ExpiresHeader] = 0 },
            Properties = new MessageProperties { DeliveryMode = 2, Priority = 0 },
        };
        await transport.PublishAsync(message, PidboxNames.Exchange, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends an inspect command and merges the replies into one <c>{nodename: result}</c> map, as
    /// Celery's <c>app.control.inspect()</c> does.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> InspectAsync(
        string method,
        JsonObject? arguments = null,
        IReadOnlyList<string>? destination = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var replies = await BroadcastAsync(method, arguments, destination, timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        var merged = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var reply in replies)
        {
            foreach (var (node, value) in reply)
            {
                merged[node] = value?.DeepClone();
            }
        }

        return merged;
    }

    /// <summary>Revokes tasks on every worker; <paramref name="terminate"/> cancels running ones.</summary>
    public Task RevokeAsync(IReadOnlyList<string> taskIds, bool terminate = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        var args = new JsonObject { ["task_id"] = new JsonArray([.. taskIds.Select(id => (JsonNode)id)]), ["terminate"] = terminate, ["signal"] = "SIGTERM" };
        return CastAsync("revoke", args, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Tells workers to start consuming <paramref name="queue"/> (Celery's <c>add_consumer</c>); its exchange defaults
    /// to one of the queue's name, of <paramref name="exchangeType"/> (when null, the worker's
    /// <c>task_default_exchange_type</c>), bound with the queue's name. Returns each node's reply
    /// (<c>{"ok": "add consumer q"}</c>).
    /// </summary>
    public Task<IReadOnlyDictionary<string, JsonNode?>> AddConsumerAsync(
        string queue,
        string? exchange = null,
        string? exchangeType = null,
        string? routingKey = null,
        IReadOnlyList<string>? destination = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var args = new JsonObject { ["queue"] = queue, ["exchange"] = exchange, ["exchange_type"] = exchangeType, ["routing_key"] = routingKey };
        return InspectAsync("add_consumer", args, destination, timeout, cancellationToken);
    }

    /// <summary>
    /// Tells workers to stop consuming <paramref name="queue"/> (Celery's <c>cancel_consumer</c>); returns each node's
    /// reply (<c>{"ok": "no longer consuming from q"}</c>).
    /// </summary>
    public Task<IReadOnlyDictionary<string, JsonNode?>> CancelConsumerAsync(
        string queue,
        IReadOnlyList<string>? destination = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return InspectAsync("cancel_consumer", new JsonObject { ["queue"] = queue }, destination, timeout, cancellationToken);
    }

    /// <summary>Pings workers; returns the node names that answered <c>pong</c>.</summary>
    public async Task<IReadOnlyList<string>> PingAsync(IReadOnlyList<string>? destination = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var replies = await BroadcastAsync("ping", destination: destination, timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. replies.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}
