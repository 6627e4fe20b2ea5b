using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Tasks;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// Turns deliveries into requests: decodes (invalid → rejected, with a FAILURE stored when the id is known),
/// finds the task (unknown → NotRegistered), and holds ETA tasks without taking a slot, raising the prefetch
/// limit by one per held task as Celery does. Revoked and expired tasks are dropped by the runner's check, which
/// also runs here on receipt. Source: celery/worker/strategy.py (default), celery/worker/consumer/consumer.py.
/// </summary>
internal sealed class Admission
{
    private readonly CeleriacApp _app;
    private readonly ExecutionPool _pool;
    private readonly RateLimiter _limiter;
    private readonly bool _rateLimitsOff;
    private readonly ResultWriter _results;
    private readonly WorkerState _state;
    private readonly WorkerEvents _events;
    private readonly ILogger _logger;
    private readonly string _hostname;
    private readonly Func<int> _basePrefetch;
    private int _etaHeld;

    public Admission(CeleriacApp app, ExecutionPool pool, ResultWriter results, WorkerState state, WorkerEvents events, ILogger logger, string hostname, Func<int> basePrefetch, RateLimiter limiter, bool rateLimitsOff)
    {
        _app = app;
        _pool = pool;
        _limiter = limiter;
        _rateLimitsOff = rateLimitsOff;
        _results = results;
        _state = state;
        _events = events;
        _logger = logger;
        _hostname = hostname;
        _basePrefetch = basePrefetch;
    }

    public int EtaHeld => Volatile.Read(ref _etaHeld);

    public async ValueTask AdmitAsync(IDelivery delivery, ITransportConsumer consumer, CancellationToken shutdown)
    {
        if (delivery is IDeadLetterDelivery { DecodeError: { } undecodable })
        {
            // The transport could not read the envelope and has moved it aside already.
            await RejectInvalidAsync(delivery, undecodable).ConfigureAwait(false);
            return;
        }

        TaskMessage message;
        try
        {
            message = TaskMessageCodec.Decode(delivery.Message);
        }
        catch (MessageDecodeException ex)
        {
            await RejectInvalidAsync(delivery, ex).ConfigureAwait(false);
            return;
        }

        if (!_app.Tasks.TryGet(message.Headers.Task, out var definition))
        {
            if (delivery is IDeadLetterDelivery dead)
            {
                _logger.UnregisteredDeadLettered(message.Headers.Task, dead.DeadLetterDestination, message.Headers.Id);
            }
            else
            {
                _logger.Unregistered(message.Headers.Task, message.Headers.Id);
            }

            var notRegistered = CeleryExceptions.NotRegistered(message.Headers.Task);
            await _results.StoreRawAsync(message.Headers.Id, TaskStates.Failure, notRegistered, properties: delivery.Message.Properties).ConfigureAwait(false);
            await _events.TaskAsync(Events.EventNames.TaskFailed, new JsonObject { ["uuid"] = message.Headers.Id, ["exception"] = notRegistered.ToString(), ["traceback"] = null }).ConfigureAwait(false);
            await SetAsideAsync(delivery, message.Headers.Id).ConfigureAwait(false);
            return;
        }

        var request = new TaskRequest(message, delivery.Queue, delivery.Exchange, delivery.RoutingKey, delivery.Redelivered, _hostname);
        var workerRequest = new WorkerRequest(request, delivery, definition, _app.TimeProvider.GetUtcNow());
        _logger.Received(request.DisplayName, request.Id);
        if (_events.TaskEventsEnabled)
        {
            // Checked first: the fields (reprs of the arguments) cost more than the rest of admission.
            await _events.TaskAsync(Events.EventNames.TaskReceived, ReceivedFields(message)).ConfigureAwait(false);
        }

        var eta = message.Headers.Eta;
        var now = _app.TimeProvider.GetUtcNow();
        if (eta is { } due && due > now && !_app.Revocations.Contains(request.Id) && !(message.Headers.Expires <= now))
        {
            _ = HoldUntilEtaAsync(workerRequest, due, consumer, shutdown);
            return;
        }

        _state.Reserved[request.Id] = workerRequest;
        Release(workerRequest);
    }

    private async Task HoldUntilEtaAsync(WorkerRequest request, DateTimeOffset eta, ITransportConsumer consumer, CancellationToken shutdown)
    {
        // A held ETA task keeps its message unacked; raising prefetch keeps it from starving the queue.
        UpdatePrefetch(consumer, Interlocked.Increment(ref _etaHeld));
        try
        {
            // The timer exists before the request shows as scheduled: whoever sees it scheduled and moves the clock
            // (a test's fake clock) moves this timer too, rather than one armed a moment later from the new time.
            var delay = eta - _app.TimeProvider.GetUtcNow();
            var due = delay > TimeSpan.Zero ? Task.Delay(delay, _app.TimeProvider, shutdown) : Task.CompletedTask;
            _state.Scheduled[request.Id] = request;
            await due.ConfigureAwait(false);

            // Off the schedule before it can run: a retry of it (same id) may be held again before this method ends.
            _state.Scheduled.TryRemove(KeyValuePair.Create(request.Id, request));
            _state.Reserved[request.Id] = request;
            Release(request);
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the unacked message goes back to the broker with the consumer.
        }
        finally
        {
            // Only this hold's entry: a retry held meanwhile under the same id keeps its own.
            _state.Scheduled.TryRemove(KeyValuePair.Create(request.Id, request));
            UpdatePrefetch(consumer, Interlocked.Decrement(ref _etaHeld));
        }
    }

    /// <summary>Rate limits apply after the ETA, as in Celery; limited requests wait unacked and take no slot.</summary>
    private void Release(WorkerRequest request)
    {
        if (_rateLimitsOff)
        {
            _pool.Enqueue(request);
        }
        else
        {
            _limiter.Admit(request, request.Definition.RatePerSecond);
        }
    }

    /// <summary>Prefetch = concurrency × multiplier, plus one per held ETA task (0 stays "no limit").</summary>
    public void UpdatePrefetch(ITransportConsumer consumer, int etaHeld)
    {
        var prefetch = _basePrefetch();
        consumer.SetPrefetchCount(prefetch == 0 ? 0 : prefetch + etaHeld);
    }

    private static JsonObject ReceivedFields(TaskMessage message)
    {
        var h = message.Headers;
        return new JsonObject
        {
            ["uuid"] = h.Id,
            ["name"] = h.Shadow ?? h.Task,
            ["args"] = h.ArgsRepr ?? PythonRepr.Args(message.Args),
            ["kwargs"] = h.KwargsRepr ?? PythonRepr.Of(message.Kwargs),
            ["root_id"] = h.RootId ?? h.Id,
            ["parent_id"] = h.ParentId,
            ["retries"] = h.Retries,
            ["eta"] = h.Eta is { } eta ? WireTime.FormatAware(eta) : null,
            ["expires"] = h.Expires is { } expires ? WireTime.FormatAware(expires) : null,
        };
    }

    private async ValueTask RejectInvalidAsync(IDelivery delivery, MessageDecodeException ex)
    {
        if (delivery is IDeadLetterDelivery dead)
        {
            _logger.InvalidMessageDeadLettered(delivery.Queue, ex.Message, dead.DeadLetterDestination, ex.TaskId);
        }
        else
        {
            _logger.InvalidMessage(delivery.Queue, ex.Message, ex.TaskId);
        }

        if (ex.TaskId is { } id)
        {
            var info = ex is ContentRefusedException ? CeleryExceptions.ContentDisallowed(ex.Message) : CeleryExceptions.InvalidTask(ex.Message);
            await _results.StoreRawAsync(id, TaskStates.Failure, info, properties: delivery.Message.Properties).ConfigureAwait(false);
        }

        await SetAsideAsync(delivery, ex.TaskId).ConfigureAwait(false);
    }

    /// <summary>
    /// What cannot run is moved to the queue's dead-letter store where the transport has one (Redis), so nothing is
    /// lost; elsewhere it is rejected without requeue, as Celery does.
    /// </summary>
    private async ValueTask SetAsideAsync(IDelivery delivery, string? id)
    {
        try
        {
            if (delivery is IDeadLetterDelivery dead)
            {
                await dead.DeadLetterAsync().ConfigureAwait(false);
            }
            else
            {
                await delivery.RejectAsync(requeue: false).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.SettleFailed(id ?? "?", ex);
        }
    }
}
