using System.Collections.Concurrent;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using ExchangeType = Celeriac.Transport.ExchangeType;

namespace Celeriac.RabbitMQ;

/// <summary>
/// <c>amqp://</c> broker: native AMQP 0-9-1 on RabbitMQ.Client, declaring what Celery declares byte for byte (Celery §6):
/// exchanges and queues with kombu's flags and arguments, tasks published to the default exchange with routing key =
/// queue, headers as py-amqp writes them, raw body. Every publish waits for the broker's confirm and is mandatory where
/// a lost message would be a bug (the default exchange and durable direct exchanges), so an unroutable task raises
/// <see cref="UnroutableMessageException"/> instead of vanishing; events, pidbox broadcasts and replies stay
/// fire-and-forget as in kombu. One connection with automatic connection and topology recovery; publishes and
/// declarations wait for a recovery (up to <c>publish_retry_timeout</c>) rather than fail at the first cut.
/// Source: kombu/transport/pyamqp.py, kombu/messaging.py, kombu/entity.py, celery/app/amqp.py.
/// </summary>
public sealed partial class AmqpTransport : ITransport
{
    private readonly ConcurrentDictionary<string, ExchangeDeclaration> _exchanges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _queueTypes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _durableQueues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _routedExchanges = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly AsyncPulse _recovered = new();
    private readonly ChannelSlot _admin;
    private readonly ChannelSlot _publisher;
    private readonly ILogger _logger;
    private IConnection? _connection;
    private volatile bool _connectionDown;
    private int _disposed;

    /// <summary>Creates the transport for the context's URL; connects on first use.</summary>
    /// <exception cref="CeleriacConfigurationException">The URL or an option is malformed.</exception>
    public AmqpTransport(TransportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Endpoint = AmqpEndpoint.Parse(context.Url, context.Options);
        Clock = context.TimeProvider;
        RetryWindow = context.GetSeconds("publish_retry_timeout", TimeSpan.FromSeconds(30));
        _logger = context.LoggerFactory.CreateLogger<AmqpTransport>();
        _admin = new ChannelSlot(this, confirms: false);
        _publisher = new ChannelSlot(this, confirms: true);
    }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; } = new("amqp", SurvivesProcessCrash: true, CrossProcess: true, SupportsPriority: true);

    internal AmqpEndpoint Endpoint { get; }

    internal TimeProvider Clock { get; }

    /// <summary>How long an operation waits for the connection to come back before it fails.</summary>
    internal TimeSpan RetryWindow { get; }

    internal ILogger Logger => _logger;

    /// <summary>Creates the transport; the factory registered for <c>amqp://</c>, <c>amqps://</c> and <c>pyamqp://</c>.</summary>
    public static AmqpTransport Create(TransportContext context) => new(context);

    /// <inheritdoc />
    public async ValueTask DeclareExchangeAsync(ExchangeDeclaration exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        if (exchange.Name.Length == 0)
        {
            // The default exchange exists on every vhost and cannot be declared.
            return;
        }

        await RunAsync(
            $"declare exchange '{exchange.Name}' ({TypeName(exchange.Type)}, durable={exchange.Durable}, auto_delete={exchange.AutoDelete})",
            (channel, ct) => channel.ExchangeDeclareAsync(exchange.Name, TypeName(exchange.Type), exchange.Durable, exchange.AutoDelete, null, passive: false, noWait: false, ct),
            cancellationToken).ConfigureAwait(false);
        _exchanges[exchange.Name] = exchange;
    }

    /// <inheritdoc />
    public async ValueTask DeclareQueueAsync(QueueDeclaration queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var arguments = QueueArguments(queue);
        await RunAsync(
            $"declare queue '{queue.Name}' (durable={queue.Durable}, auto_delete={queue.AutoDelete}, exclusive={queue.Exclusive}, arguments={Describe(arguments)})",
            (channel, ct) => channel.QueueDeclareAsync(queue.Name, queue.Durable, queue.Exclusive, queue.AutoDelete, arguments, passive: false, noWait: false, cancellationToken: ct),
            cancellationToken).ConfigureAwait(false);
        if (queue.QueueType is { } type)
        {
            _queueTypes[queue.Name] = type;
        }

        if (queue.Durable && !queue.AutoDelete)
        {
            _durableQueues[queue.Name] = true;
        }
    }

    /// <inheritdoc />
    public async ValueTask BindQueueAsync(string queue, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        if (exchange.Length == 0)
        {
            // Every queue is bound to the default exchange by its name; binding there is refused.
            return;
        }

        await RunAsync(
            $"bind queue '{queue}' to exchange '{exchange}' with routing key '{routingKey}'",
            (channel, ct) => channel.QueueBindAsync(queue, exchange, routingKey, null, noWait: false, ct),
            cancellationToken).ConfigureAwait(false);
        if (_durableQueues.ContainsKey(queue))
        {
            _routedExchanges[exchange] = true;
        }
    }

    /// <inheritdoc />
    /// <exception cref="UnroutableMessageException">A mandatory publish was returned: no queue took the message.</exception>
    /// <exception cref="AmqpBrokerException">The broker refused the publish (no such exchange, no permission, a nack).</exception>
    public async ValueTask PublishAsync(TransportMessage message, string exchange, string routingKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        var properties = new PyAmqpProperties(message);
        var mandatory = IsMandatory(exchange);
        await RunAsync(
            _publisher,
            exchange.Length == 0 ? $"publish to queue '{routingKey}'" : $"publish to exchange '{exchange}' with routing key '{routingKey}'",
            async (channel, ct) =>
            {
                var confirms = _publisher.Confirms!;
                Task confirmed;
                await _publisher.PublishLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    var sequence = await channel.GetNextPublishSequenceNumberAsync(ct).ConfigureAwait(false);
                    confirmed = confirms.Register(sequence, exchange, routingKey, message.Properties.CorrelationId);
                    try
                    {
                        await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, message.Body, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        confirms.Forget(sequence);
                        throw;
                    }
                }
                finally
                {
                    _publisher.PublishLock.Release();
                }

                // Outside the lock: publishes pipeline, each waits for its own confirm.
                await confirmed.WaitAsync(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConsumer> ConsumeAsync(IReadOnlyList<string> queues, int prefetchCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (queues.Count == 0)
        {
            throw new ArgumentException("consume at least one queue", nameof(queues));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefetchCount);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

        // Quorum queues refuse a global (per-channel) QoS; Celery 5.5 then sets it per consumer.
        var global = !queues.Any(IsQuorumQueue);
        var consumer = new AmqpConsumer(this, [.. queues.Distinct(StringComparer.Ordinal)], prefetchCount, global);
        try
        {
            await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return consumer;
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        try
        {
            return await RunAsync($"purge queue '{queue}'", (channel, ct) => channel.QueuePurgeAsync(queue, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (AmqpBrokerException ex) when (ex.ReplyCode == AmqpLiterals.NotFound)
        {
            return 0;
        }
    }

    /// <inheritdoc />
    public async ValueTask DeleteQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        try
        {
            await RunAsync($"delete queue '{queue}'", (channel, ct) => channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, noWait: false, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (AmqpBrokerException ex) when (ex.ReplyCode == AmqpLiterals.NotFound)
        {
        }

        _queueTypes.TryRemove(queue, out _);
        _durableQueues.TryRemove(queue, out _);
    }

    /// <inheritdoc />
    /// <remarks>A queue that does not exist has no messages: 0, as on the other transports.</remarks>
    public async ValueTask<long> GetQueueLengthAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        try
        {
            return await RunAsync($"count messages of queue '{queue}'", (channel, ct) => channel.MessageCountAsync(queue, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (AmqpBrokerException ex) when (ex.ReplyCode == AmqpLiterals.NotFound)
        {
            return 0;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _admin.DisposeAsync().ConfigureAwait(false);
        await _publisher.DisposeAsync().ConfigureAwait(false);
        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogCloseFailed(ex);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectGate.Dispose();
    }

    /// <summary>The connection, opened on first use; a failed first connect is tried again on the next call.</summary>
    /// <exception cref="AmqpBrokerException">The broker cannot be reached, or refused the login or the vhost.</exception>
    internal async Task<IConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (_connection is { } existing)
        {
            return existing;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { } again)
            {
                return again;
            }

            IConnection connection;
            try
            {
                connection = await Endpoint.ToFactory("celeriac " + Environment.ProcessId).CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerUnreachableException ex)
            {
                throw new AmqpBrokerException(ConnectFailure(ex), ReplyCodeOf(ex), ex);
            }

            connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
            connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
            connection.ConnectionBlockedAsync += OnBlockedAsync;
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>
    /// Waits, up to <paramref name="deadline"/>, for the connection to be back after a loss; returns false when it is not.
    /// </summary>
    internal async Task<bool> WaitForRecoveryAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = _recovered.NextPulse;
            if (!_connectionDown && _connection is { IsOpen: true })
            {
                return true;
            }

            var left = deadline - Clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            // The pulse comes with RecoverySucceeded; the short poll covers a connection that came back before we looked.
            var wait = left < TimeSpan.FromMilliseconds(250) ? left : TimeSpan.FromMilliseconds(250);
            try
            {
                await next.WaitAsync(wait, Clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>Whether this transport declared <paramref name="queue"/> as a quorum queue.</summary>
    internal bool IsQuorumQueue(string queue) =>
        _queueTypes.TryGetValue(queue, out var type) && type == Celeriac.TaskOptions.QuorumQueueType;

    /// <summary>Whether the connection is known to be lost and not yet recovered.</summary>
    internal bool ConnectionDown => _connectionDown || _connection is { IsOpen: false };

    /// <summary>A fresh channel on the connection.</summary>
    internal async Task<IChannel> CreateChannelAsync(bool confirms, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: false);
        return await connection.CreateChannelAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs an operation on the admin channel; see <see cref="RunAsync{T}(ChannelSlot, string, Func{IChannel, CancellationToken, Task{T}}, CancellationToken)"/>.</summary>
    internal Task RunAsync(string what, Func<IChannel, CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        RunAsync(_admin, what, async (channel, ct) =>
        {
            await operation(channel, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    internal Task<T> RunAsync<T>(string what, Func<IChannel, CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        RunAsync(_admin, what, operation, cancellationToken);

    /// <summary>
    /// Runs one channel operation. A lost connection is waited out (automatic recovery) and the operation tried again
    /// within <see cref="RetryWindow"/>; a channel the broker closed for an error is replaced, and the error is raised
    /// as an <see cref="AmqpBrokerException"/> naming what was attempted and the broker's reason.
    /// </summary>
    internal async Task<T> RunAsync<T>(ChannelSlot slot, string what, Func<IChannel, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var deadline = Clock.GetUtcNow() + RetryWindow;
        var attempt = 0;
        while (true)
        {
            attempt++;
            IChannel channel;
            try
            {
                channel = await slot.GetAsync(deadline, cancellationToken).ConfigureAwait(false);
                return await operation(channel, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsChannelError(ex, out var code, out var text))
            {
                throw new AmqpBrokerException(
                    code == AmqpLiterals.NotAllowed
                        ? $"RabbitMQ at {Endpoint.Redacted} refused user '{Endpoint.UserName}' access to vhost '{Endpoint.VirtualHost}' ({code} {text}){Hint(code)}"
                        : $"RabbitMQ refused to {what} on {Endpoint.Redacted}: {code} {text}{Hint(code)}",
                    code,
                    ex);
            }
            catch (Exception ex) when (IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1)
                {
                    LogWaitingForBroker(what, Endpoint.Redacted, RetryWindow.TotalSeconds);
                }

                if (!await WaitForRecoveryAsync(deadline, cancellationToken).ConfigureAwait(false))
                {
                    throw new AmqpBrokerException($"cannot {what}: the connection to {Endpoint.Redacted} is lost and did not come back within {RetryWindow.TotalSeconds}s", 0, ex);
                }
            }
        }
    }

    /// <summary>
    /// The AMQP queue arguments kombu derives from the queue options, in kombu's order (the queue's own arguments such
    /// as <c>x-queue-type</c>, then <c>x-expires</c>, <c>x-message-ttl</c>, <c>x-max-priority</c>), integers as py-amqp
    /// writes them. Source: kombu/common.py (to_rabbitmq_queue_arguments).
    /// </summary>
    internal static Dictionary<string, object?>? QueueArguments(QueueDeclaration queue)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (queue.QueueType is { } type)
        {
            arguments[AmqpLiterals.QueueType] = type;
        }

        if (queue.Expires is { } expires)
        {
            arguments[AmqpLiterals.Expires] = AmqpHeaders.ToField(System.Text.Json.Nodes.JsonValue.Create((long)expires.TotalMilliseconds));
        }

        if (queue.MessageTtl is { } ttl)
        {
            arguments[AmqpLiterals.MessageTtl] = AmqpHeaders.ToField(System.Text.Json.Nodes.JsonValue.Create((long)ttl.TotalMilliseconds));
        }

        if (queue.MaxPriority is { } max)
        {
            arguments[AmqpLiterals.MaxPriority] = max;
        }

        return arguments.Count == 0 ? null : arguments;
    }

    /// <summary>
    /// Mandatory where a lost message is a bug: the default exchange (tasks, rpc results), durable direct exchanges
    /// and any exchange this transport bound a durable queue to (task routing, the delay levels). Other topic, fanout
    /// and transient exchanges (events, pidbox) are broadcasts nobody may hear. An exchange not declared here is
    /// treated as direct.
    /// </summary>
    private bool IsMandatory(string exchange) =>
        exchange.Length == 0 || _routedExchanges.ContainsKey(exchange) || !_exchanges.TryGetValue(exchange, out var e) || (e.Type == ExchangeType.Direct && e.Durable);

    private static string TypeName(ExchangeType type) => type switch
    {
        ExchangeType.Topic => AmqpLiterals.Topic,
        ExchangeType.Fanout => AmqpLiterals.Fanout,
        _ => AmqpLiterals.Direct,
    };

    private static string Describe(Dictionary<string, object?>? arguments) =>
        arguments is null ? "{}" : "{" + string.Join(", ", arguments.Select(a => $"{a.Key}: {a.Value}")) + "}";

    /// <summary>A channel closed by the broker for an error while the connection stays up (403, 404, 405, 406, 540...).</summary>
    internal static bool IsChannelError(Exception ex, out int code, out string text)
    {
        if (ex is OperationInterruptedException { ShutdownReason: { } reason } && reason.Initiator == ShutdownInitiator.Peer && reason.ReplyCode is not (320 or 541 or 0 or 200))
        {
            code = reason.ReplyCode;
            text = reason.ReplyText;
            return true;
        }

        code = 0;
        text = string.Empty;
        return false;
    }

    /// <summary>The connection (not one channel) is gone: worth waiting for recovery.</summary>
    internal bool IsConnectionLoss(Exception ex) => ex switch
    {
        AlreadyClosedException => true,
        OperationInterruptedException => true,
        ChannelAllocationException => false,
        IOException => true,
        System.Net.Sockets.SocketException => true,
        TimeoutException => ConnectionDown,
        ObjectDisposedException => false,
        _ => false,
    };

    private static string Hint(int code) => code switch
    {
        AmqpLiterals.PreconditionFailed => " — the entity exists with other flags or arguments; declare it exactly as the other peers do (see docs/user-guide.md, RabbitMQ), or delete it",
        AmqpLiterals.AccessRefused => " — the user lacks permission; grant it with 'rabbitmqctl set_permissions -p <vhost> <user> \".*\" \".*\" \".*\"'",
        AmqpLiterals.NotAllowed => " — grant it with 'rabbitmqctl set_permissions -p <vhost> <user> \".*\" \".*\" \".*\"'",
        AmqpLiterals.NotFound => " — it does not exist; declare it first",
        AmqpLiterals.ResourceLocked => " — an exclusive queue of another connection",
        _ => string.Empty,
    };

    private string ConnectFailure(BrokerUnreachableException ex)
    {
        var inner = ex.InnerException;
        return inner switch
        {
            AuthenticationFailureException or PossibleAuthenticationFailureException =>
                $"RabbitMQ at {Endpoint.Redacted} refused the login of user '{Endpoint.UserName}': {inner.Message}",
            OperationInterruptedException { ShutdownReason: { } r } when r.ReplyCode == AmqpLiterals.NotAllowed =>
                $"RabbitMQ at {Endpoint.Redacted} refused user '{Endpoint.UserName}' access to vhost '{Endpoint.VirtualHost}': {r.ReplyText} — grant it with 'rabbitmqctl set_permissions -p {Endpoint.VirtualHost} {Endpoint.UserName} \".*\" \".*\" \".*\"'",
            _ => $"cannot connect to RabbitMQ at {Endpoint.Redacted}: {inner?.Message ?? ex.Message}",
        };
    }

    private static int ReplyCodeOf(BrokerUnreachableException ex) => ex.InnerException switch
    {
        OperationInterruptedException { ShutdownReason: { } r } => r.ReplyCode,
        AuthenticationFailureException => AmqpLiterals.AccessRefused,
        _ => 0,
    };

    private Task OnConnectionShutdownAsync(object? sender, ShutdownEventArgs e)
    {
        if (Volatile.Read(ref _disposed) == 0 && e.Initiator != ShutdownInitiator.Application)
        {
            _connectionDown = true;
            LogConnectionLost(Endpoint.Redacted, e.ReplyCode, e.ReplyText);
        }

        return Task.CompletedTask;
    }

    private Task OnRecoverySucceededAsync(object? sender, AsyncEventArgs e)
    {
        _connectionDown = false;
        LogRecovered(Endpoint.Redacted);
        _recovered.Pulse();
        return Task.CompletedTask;
    }

    private Task OnRecoveryErrorAsync(object? sender, ConnectionRecoveryErrorEventArgs e)
    {
        LogRecoveryFailed(e.Exception, Endpoint.Redacted);
        return Task.CompletedTask;
    }

    private Task OnBlockedAsync(object? sender, ConnectionBlockedEventArgs e)
    {
        LogBlocked(Endpoint.Redacted, e.Reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Connection to {Broker} lost ({Code} {Text}); reconnecting")]
    private partial void LogConnectionLost(string broker, int code, string text);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Connection to {Broker} recovered; queues, bindings and consumers restored")]
    private partial void LogRecovered(string broker);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Reconnecting to {Broker} failed; trying again")]
    private partial void LogRecoveryFailed(Exception ex, string broker);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "RabbitMQ at {Broker} blocked publishing: {Reason}")]
    private partial void LogBlocked(string broker, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Cannot {What}: the connection to {Broker} is down; waiting up to {Seconds}s for it to come back")]
    private partial void LogWaitingForBroker(string what, string broker, double seconds);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Closing the RabbitMQ connection failed")]
    private partial void LogCloseFailed(Exception ex);
}
