using Celeriac.Backends;
using Celeriac.Protocol;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.RabbitMQ;

/// <summary>
/// <c>rpc://</c> result backend, as Celery's (Celery §6.6): states are not stored but sent as messages, through the
/// app's broker, to the reply queue of the client that sent the task. The client's queue is its oid (the
/// <c>reply_to</c> of every task it sends): non-durable, auto-delete, <c>x-expires</c> = <c>result_expires</c>, declared
/// before each send. A worker publishes each state to the default exchange with routing key = the request's
/// <c>reply_to</c>, <c>correlation_id</c> = task id, transient, body <c>{task_id, status, result, traceback, children}</c>;
/// a request without <c>reply_to</c> gets nothing. The client consumes its queue, keeps the latest state per task id
/// (up to <see cref="BufferLimit"/> ids, as Celery's pending-message buffer) and wakes waiters. Sits on
/// <see cref="ITransport"/> only, so it works on every broker (as Celery's does on Redis too). Like Celery's: only the
/// sender sees results, no chords, no saved groups. Source: celery/backends/rpc.py, celery/backends/asynchronous.py.
/// </summary>
public sealed partial class RpcResultBackend : IResultBackend
{
    /// <summary>How many tasks' latest states are kept for reading (Celery's <c>MESSAGE_BUFFER_MAX</c>).</summary>
    public const int BufferLimit = 8192;

    private const string NoChords = "The \"rpc\" result backend does not support chords! Result backends that support chords: Redis, SQLite.";

    private readonly Func<ITransport> _transport;
    private readonly TimeSpan? _expires;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Dictionary<string, ResultMeta> _latest = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly AsyncPulse _arrived = new();
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _declared;
    private ITransportConsumer? _consumer;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    /// <summary>Creates the backend on the app's transport.</summary>
    /// <exception cref="CeleriacConfigurationException">The context carries no transport or reply queue (not created by an app).</exception>
    public RpcResultBackend(ResultBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _transport = context.Transport ?? throw new CeleriacConfigurationException("result_backend", "rpc:// sends results through the broker: create it from a CeleriacApp, which gives it the broker connection");
        ReplyQueue = context.ReplyQueue ?? throw new CeleriacConfigurationException("result_backend", "rpc:// needs the app's reply queue (oid)");
        _expires = context.ResultExpires;
        _logger = context.LoggerFactory.CreateLogger<RpcResultBackend>();
    }

    /// <inheritdoc />
    public ResultBackendCapabilities Capabilities { get; } = new("rpc", Persistent: false, PushesUpdates: true);

    /// <summary>This client's reply queue: the app's oid.</summary>
    public string ReplyQueue { get; }

    /// <summary>Creates the backend; the factory registered for <c>rpc://</c>.</summary>
    public static RpcResultBackend Create(ResultBackendContext context) => new(context);

    /// <summary>The reply queue as Celery declares it (<c>RPCBackend.binding</c>).</summary>
    public QueueDeclaration ReplyQueueDeclaration => new(ReplyQueue, Durable: false, AutoDelete: true) { Expires = _expires };

    /// <inheritdoc />
    /// <remarks>Sent to the request's reply queue; a state without <see cref="ResultMeta.ReplyTo"/> goes nowhere, as in Celery.</remarks>
    public async ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (string.IsNullOrEmpty(meta.ReplyTo))
        {
            LogNoReplyTo(meta.TaskId, meta.Status);
            return;
        }

        var message = new TransportMessage
        {
            Body = ResultMetaCodec.EncodeRpc(meta),
            Properties = new MessageProperties { CorrelationId = meta.CorrelationId ?? meta.TaskId, DeliveryMode = 1, Priority = 0 },
        };
        try
        {
            await _transport().PublishAsync(message, string.Empty, meta.ReplyTo, cancellationToken).ConfigureAwait(false);
        }
        catch (UnroutableMessageException)
        {
            // The client is gone (its queue expired or was deleted): nobody can ever read this state.
            LogReplyQueueGone(meta.TaskId, meta.Status, meta.ReplyTo);
        }
    }

    /// <inheritdoc />
    public async ValueTask BeforePublishAsync(string taskId, CancellationToken cancellationToken = default)
    {
        // Once per backend: the queue only goes away after x-expires without a consumer.
        var declared = _declared;
        if (declared is null || declared.IsFaulted || declared.IsCanceled)
        {
            declared = _transport().DeclareQueueAsync(ReplyQueueDeclaration, cancellationToken).AsTask();
            _declared = declared;
        }

        await declared.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>The latest state received for the task, or null: only states sent to this client's queue are known.</remarks>
    public async ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        await EnsureConsumingAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            return _latest.TryGetValue(taskId, out var meta) ? meta : null;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        await EnsureConsumingAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var next = _arrived.NextPulse;
            lock (_lock)
            {
                if (_latest.TryGetValue(taskId, out var meta) && TaskStates.IsReady(meta.Status))
                {
                    return meta;
                }
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Nothing is stored on the broker; the state is only dropped from this client's buffer.</remarks>
    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _latest.Remove(taskId);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("save_group is not supported by the rpc:// result backend");

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("restore_group is not supported by the rpc:// result backend");

    /// <inheritdoc />
    public ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("delete_group is not supported by the rpc:// result backend");

    /// <inheritdoc />
    public ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(NoChords);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(NoChords);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_consumer is { } consumer)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _startGate.Dispose();
    }

    private async ValueTask EnsureConsumingAsync(CancellationToken cancellationToken)
    {
        if (_consumer is not null)
        {
            return;
        }

        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_consumer is not null)
            {
                return;
            }

            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
            var transport = _transport();
            await transport.DeclareQueueAsync(ReplyQueueDeclaration, cancellationToken).ConfigureAwait(false);
            var consumer = await transport.ConsumeAsync([ReplyQueue], 0, cancellationToken).ConfigureAwait(false);
            _loop = Task.Run(() => ReadLoopAsync(consumer), CancellationToken.None);
            _consumer = consumer;
        }
        finally
        {
            _startGate.Release();
        }
    }

    private async Task ReadLoopAsync(ITransportConsumer consumer)
    {
        try
        {
            await foreach (var delivery in consumer.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                Accept(delivery.Message);
                await delivery.AckAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogConsumeFailed(ex, ReplyQueue);
        }
    }

    private void Accept(TransportMessage message)
    {
        ResultMeta meta;
        try
        {
            meta = ResultMetaCodec.Decode(message.Body.Span);
        }
        catch (MessageDecodeException ex)
        {
            LogUnreadable(ex, ReplyQueue);
            return;
        }

        // Celery matches on correlation_id first, task_id otherwise.
        var id = message.Properties.CorrelationId ?? meta.TaskId;
        lock (_lock)
        {
            if (!_latest.ContainsKey(id))
            {
                _order.Enqueue(id);
                while (_order.Count > BufferLimit && _order.TryDequeue(out var oldest))
                {
                    _latest.Remove(oldest);
                }
            }

            _latest[id] = meta;
        }

        _arrived.Pulse();
    }

    [LoggerMessage(EventId = 3050, Level = LogLevel.Debug, Message = "Task {TaskId}: state {Status} not sent, the request has no reply_to")]
    private partial void LogNoReplyTo(string taskId, string status);

    [LoggerMessage(EventId = 3051, Level = LogLevel.Warning, Message = "Task {TaskId}: state {Status} dropped, the reply queue '{ReplyTo}' of its client no longer exists")]
    private partial void LogReplyQueueGone(string taskId, string status, string replyTo);

    [LoggerMessage(EventId = 3052, Level = LogLevel.Error, Message = "Stopped reading results from reply queue '{Queue}'")]
    private partial void LogConsumeFailed(Exception ex, string queue);

    [LoggerMessage(EventId = 3053, Level = LogLevel.Error, Message = "Dropped an unreadable result message from reply queue '{Queue}'")]
    private partial void LogUnreadable(Exception ex, string queue);
}
