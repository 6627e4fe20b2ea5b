using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Celeriac.Control;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker.Control;

/// <summary>
/// The worker's end of remote control: its queue <c>&lt;nodename&gt;.celery.pidbox</c> bound to the
/// <c>celery.pidbox</c> fanout exchange; requests for this node are handled and answered on the requester's
/// reply queue. Source: kombu/pidbox.py (Node), celery/worker/pidbox.py.
/// </summary>
internal sealed partial class Mailbox : IAsyncDisposable
{
    private readonly CeleriacApp _app;
    private readonly string _nodename;
    private readonly ControlHandlers _handlers;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private ITransportConsumer? _consumer;
    private Task _loop = Task.CompletedTask;

    public Mailbox(CeleriacApp app, string nodename, ControlHandlers handlers, ILogger logger)
    {
        _app = app;
        _nodename = nodename;
        _handlers = handlers;
        _logger = logger;
    }

    public string Queue => PidboxNames.NodeQueue(_nodename);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var transport = _app.Transport;
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(PidboxNames.Exchange, ExchangeType.Fanout, Durable: false), cancellationToken).ConfigureAwait(false);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(PidboxNames.ReplyExchange, ExchangeType.Direct, Durable: false), cancellationToken).ConfigureAwait(false);
        await transport.DeclareQueueAsync(new QueueDeclaration(Queue, Durable: false, AutoDelete: true) { MessageTtl = TimeSpan.FromSeconds(300), Expires = TimeSpan.FromSeconds(10) }, cancellationToken).ConfigureAwait(false);

        // Requests sent while this node was down are stale; start from an empty mailbox.
        await transport.PurgeAsync(Queue, cancellationToken).ConfigureAwait(false);
        await transport.BindQueueAsync(Queue, PidboxNames.Exchange, string.Empty, cancellationToken).ConfigureAwait(false);
        _consumer = await transport.ConsumeAsync([Queue], 0, cancellationToken).ConfigureAwait(false);
        _loop = LoopAsync(_consumer);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_consumer is not null)
        {
            await _consumer.DisposeAsync().ConfigureAwait(false);
            try
            {
                await _app.Transport.DeleteQueueAsync(Queue).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogCleanupFailed(ex, Queue);
            }
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(ITransportConsumer consumer)
    {
        try
        {
            await foreach (var delivery in consumer.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                await delivery.AckAsync(CancellationToken.None).ConfigureAwait(false);
                await HandleAsync(delivery.Message).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogMailboxFailed(ex);
        }
    }

    private async Task HandleAsync(TransportMessage message)
    {
        PidboxRequest request;
        try
        {
            request = PidboxRequest.Decode(message.Body.Span);
        }
        catch (MessageDecodeException ex)
        {
            LogBadRequest(ex.Message);
            return;
        }

        if (JsonNumbers.TryGetDouble(message.Headers[PidboxNames.ClockHeader], out var clock))
        {
            _app.Clock.Adjust((long)clock);
        }

        if (!IsForMe(request))
        {
            return;
        }

        var result = await _handlers.HandleAsync(request.Method, request.Arguments).ConfigureAwait(false);
        if (request.Ticket is null || request.ReplyTo is not { } replyTo || ReferenceEquals(result, ControlHandlers.NoReply))
        {
            return;
        }

        var reply = new TransportMessage
        {
            Body = KombuJson.Serialize(new JsonObject { [_nodename] = result }),
            Headers = new JsonObject { [PidboxNames.TicketHeader] = request.Ticket, [PidboxNames.ClockHeader] = _app.Clock.Forward() },
            Properties = new MessageProperties { DeliveryMode = 1, Priority = 0 },
        };
        try
        {
            await _app.Transport.PublishAsync(reply, replyTo.Exchange, replyTo.RoutingKey).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReplyFailed(ex, request.Method);
        }
    }

    private bool IsForMe(PidboxRequest request)
    {
        if (request.Destination is { Count: > 0 } destination)
        {
            return destination.Contains(_nodename, StringComparer.Ordinal);
        }

        if (request.Pattern is { } pattern)
        {
            var regex = string.Equals(request.Matcher, "pcre", StringComparison.Ordinal)
                ? pattern
                : "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
            return Regex.IsMatch(_nodename, regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return true;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Ignoring a malformed control request: {Reason}")]
    private partial void LogBadRequest(string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Could not send the reply to control command '{Method}'")]
    private partial void LogReplyFailed(Exception ex, string method);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "The control mailbox stopped after an error")]
    private partial void LogMailboxFailed(Exception ex);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Could not remove the control queue {Queue}")]
    private partial void LogCleanupFailed(Exception ex, string queue);
}
