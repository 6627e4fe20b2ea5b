using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Events;
using Celeriac.Protocol;
using Celeriac.Tasks;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// Runs one request to its end: revoke/expiry check, early ack, STARTED, argument binding, the body under soft and
/// hard time limits, then SUCCESS, RETRY or FAILURE, and the late ack. Order follows Celery's tracer.
/// Source: celery/app/trace.py (build_tracer), celery/worker/request.py.
/// </summary>
internal sealed partial class TaskRunner
{
    private readonly CeleriacApp _app;
    private readonly WorkerOptions _options;
    private readonly ResultWriter _results;
    private readonly SyncTaskThreads _syncThreads;
    private readonly WorkerState _state;
    private readonly WorkerEvents _events;
    private readonly ILogger _logger;
    private readonly string _hostname;

    public TaskRunner(CeleriacApp app, WorkerOptions options, ResultWriter results, SyncTaskThreads syncThreads, WorkerState state, WorkerEvents events, ILogger logger, string hostname)
    {
        _app = app;
        _options = options;
        _results = results;
        _syncThreads = syncThreads;
        _state = state;
        _events = events;
        _logger = logger;
        _hostname = hostname;
    }

    public async Task RunAsync(WorkerRequest r)
    {
        var request = r.Request;
        var definition = r.Definition;
        if (await DiscardIfRevokedOrExpiredAsync(r).ConfigureAwait(false))
        {
            return;
        }

        var taskDefaults = _app.Options.Task;
        var settings = definition.Settings;
        var acksLate = settings.AcksLate ?? taskDefaults.AcksLate;
        var ignoreResult = (settings.IgnoreResult ?? taskDefaults.IgnoreResult) || request.Message.Headers.IgnoreResult;
        // The call's limits, then the worker's runtime override (time_limit command), then the task's, then the app's.
        _state.TimeLimits.TryGetValue(definition.Name, out var runtime);
        var hard = request.Message.Headers.TimeLimit.Hard ?? runtime.Hard ?? (settings.TimeLimit ?? taskDefaults.TimeLimit)?.TotalSeconds;
        var soft = request.Message.Headers.TimeLimit.Soft ?? runtime.Soft ?? (settings.SoftTimeLimit ?? taskDefaults.SoftTimeLimit)?.TotalSeconds;

        using var cancellation = new CancellationTokenSource();
        r.Cancellation = cancellation;
        r.StartedAt = _app.TimeProvider.GetUtcNow();
        _state.Reserved.TryRemove(r.Id, out _);
        _state.Active[r.Id] = r;
        var started = Stopwatch.GetTimestamp();
        var settle = Settle.Ack;

        // Celery acks when execution starts, not on receipt: prefetched messages stay unacked. The ack is sent as the
        // task starts and awaited when it ends, so its round trip overlaps the task instead of delaying it.
        var earlyAck = acksLate ? ValueTask.CompletedTask : SafeAckAsync(r);
        try
        {
            if (_events.TaskEventsEnabled)
            {
                await _events.TaskAsync(EventNames.TaskStarted, new JsonObject { ["uuid"] = request.Id }).ConfigureAwait(false);
            }

            if (settings.TrackStarted ?? taskDefaults.TrackStarted)
            {
                await _results.StoreAsync(request, TaskStates.Started, new JsonObject { ["pid"] = Environment.ProcessId, ["hostname"] = _hostname }).ConfigureAwait(false);
            }

            var context = new TaskContext(_app, request, definition, _app.LoggerFactory.CreateLogger(definition.Name), cancellation.Token);
            // Limits count from the start (r.StartedAt), not from when the timers happen to be armed.
            using var softTimer = soft is { } s ? _app.TimeProvider.CreateTimer(_ => Cancel(r, CancelReason.SoftTimeLimit), null, Remaining(r, s), Timeout.InfiniteTimeSpan) : null;
            var execution = StartBody(definition, request, context);
            object? value;
            if (execution.IsCompleted)
            {
                value = await execution.ConfigureAwait(false);
            }
            else
            {
                // Fired a grace period after a terminate, for a body that does not end when its token fires.
                using var abandon = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _app.TimeProvider);
                r.AbandonGrace = _options.AbandonGracePeriod;
                r.Abandon = abandon;
                if (r.CancelReason == CancelReason.Terminated)
                {
                    abandon.CancelAfter(r.AbandonGrace);
                }

                try
                {
                    value = hard is { } h
                        ? await execution.WaitAsync(Remaining(r, h), _app.TimeProvider, abandon.Token).ConfigureAwait(false)
                        : await execution.WaitAsync(abandon.Token).ConfigureAwait(false);
                }
                catch (TimeoutException) when (!execution.IsCompleted)
                {
                    settle = await OnHardTimeLimitAsync(r, execution, hard!.Value).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (abandon.IsCancellationRequested && !execution.IsCompleted)
                {
                    settle = await OnAbandonedAfterTerminateAsync(r, execution).ConfigureAwait(false);
                    return;
                }
                finally
                {
                    r.Abandon = null;
                }
            }

            await OnSuccessAsync(r, value, ignoreResult, Stopwatch.GetElapsedTime(started)).ConfigureAwait(false);
        }
        catch (TaskRetryException retry)
        {
            settle = await OnRetryAsync(r, retry, retry.Cause ?? retry).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (r.CancelReason != CancelReason.None)
        {
            settle = await OnCancelledAsync(r, ex, soft, settings.RejectOnWorkerLost ?? taskDefaults.RejectOnWorkerLost).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAutoretry(definition, ex))
        {
            settle = await OnRetryAsync(r, null, ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await OnFailureAsync(r, ex).ConfigureAwait(false);
        }
        finally
        {
            r.Cancellation = null;
            // Only this run's entry: its retry (same id, no countdown) may already be running.
            _state.Active.TryRemove(KeyValuePair.Create(r.Id, r));
            _state.Done(request.TaskName);
            await earlyAck.ConfigureAwait(false);
            await SettleAsync(r, acksLate, settle).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels a running request's token for <paramref name="reason"/> (first reason wins).</summary>
    public static void Cancel(WorkerRequest r, CancelReason reason)
    {
        if (r.CancelReason == CancelReason.None)
        {
            r.CancelReason = reason;
        }

        try
        {
            // The grace period is armed before the token fires, so it runs from the moment the body is told to stop.
            if (reason == CancelReason.Terminated)
            {
                r.Abandon?.CancelAfter(r.AbandonGrace);
            }

            r.Cancellation?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private TimeSpan Remaining(WorkerRequest r, double limitSeconds)
    {
        var left = TimeSpan.FromSeconds(limitSeconds) - (_app.TimeProvider.GetUtcNow() - r.StartedAt!.Value);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private Task<object?> StartBody(TaskDefinition definition, TaskRequest request, TaskContext context)
    {
        // Binding errors surface as a failed task (TypeError), never as a worker crash.
        object?[] values;
        try
        {
            values = definition.Invoker.Bind(request.Args, request.Kwargs, context);
        }
        catch (TaskArgumentException ex)
        {
            return Task.FromException<object?>(ex);
        }

        if (definition.IsAsync)
        {
            try
            {
                return definition.Invoker.InvokeAsync(values);
            }
            catch (Exception ex)
            {
                return Task.FromException<object?>(ex);
            }
        }

        return _syncThreads.RunAsync(() => definition.Invoker.InvokeBlocking(values));
    }

    private async ValueTask<bool> DiscardIfRevokedOrExpiredAsync(WorkerRequest r)
    {
        var request = r.Request;
        string? reason = null;
        if (_app.Revocations.Contains(request.Id))
        {
            reason = "revoked";
            _logger.DiscardingRevoked(request.DisplayName, request.Id);
        }
        else if (request.Expires is { } expires && expires <= _app.TimeProvider.GetUtcNow())
        {
            reason = "expired";
            _app.Revocations.Revoke([request.Id], terminate: false);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.DiscardingExpired(request.DisplayName, request.Id, WireTime.FormatAware(expires));
            }
        }

        if (reason is null)
        {
            return false;
        }

        _state.Reserved.TryRemove(r.Id, out _);
        await SafeAckAsync(r).ConfigureAwait(false);
        await _results.StoreAsync(request, TaskStates.Revoked, CeleryExceptions.Revoked(reason).ToJson()).ConfigureAwait(false);
        await RevokedEventAsync(request.Id, terminated: false, expired: reason == "expired").ConfigureAwait(false);
        _state.Done(request.TaskName);
        return true;
    }

    private async ValueTask OnSuccessAsync(WorkerRequest r, object? value, bool ignoreResult, TimeSpan runtime)
    {
        var request = r.Request;
        JsonNode? result;
        try
        {
            result = KombuValues.ToNode(value);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException)
        {
            await OnFailureAsync(r, new InvalidOperationException($"the task's return value of type {value?.GetType()} cannot be serialized to JSON: {ex.Message}", ex)).ConfigureAwait(false);
            return;
        }

        var children = await _results.Canvas.SendCallbacksAsync(request, result).ConfigureAwait(false);
        if (!ignoreResult)
        {
            // Issued first, then the slot is given up: the next body need not wait for this write's round trip. The
            // task stays active, and a late ack still follows the stored result.
            var store = _results.StoreAsync(request, TaskStates.Success, result, children: children);
            r.EndOfSlot?.Invoke(r);
            await store.ConfigureAwait(false);
        }

        // A chord header takes part in the join even when its own result is ignored, as in Celery.
        await _results.Canvas.JoinChordAsync(request, result).ConfigureAwait(false);

        if (_events.TaskEventsEnabled)
        {
            await _events.TaskAsync(EventNames.TaskSucceeded, new JsonObject { ["uuid"] = request.Id, ["result"] = PythonRepr.Of(result), ["runtime"] = runtime.TotalSeconds }).ConfigureAwait(false);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.Succeeded(request.DisplayName, request.Id, runtime.TotalSeconds.ToString("0.000######", CultureInfo.InvariantCulture), PythonRepr.Of(result));
        }
    }

    private async ValueTask OnFailureAsync(WorkerRequest r, Exception ex)
    {
        var info = CeleryExceptions.From(ex);
        var traceback = CeleryExceptions.Traceback(ex);
        await _results.StoreAsync(r.Request, TaskStates.Failure, info.ToJson(), traceback).ConfigureAwait(false);
        await FailedEventAsync(r.Request.Id, info, traceback).ConfigureAwait(false);
        _logger.Failed(r.Request.DisplayName, r.Request.Id, info.ToString(), ex is Client.TaskFailedException or TaskArgumentException ? null : ex);
    }

    private async ValueTask<Settle> OnCancelledAsync(WorkerRequest r, OperationCanceledException ex, double? soft, bool rejectOnWorkerLost)
    {
        var request = r.Request;
        switch (r.CancelReason)
        {
            case CancelReason.SoftTimeLimit:
                _logger.SoftTimeLimit(request.DisplayName, request.Id, soft ?? 0);
                await _results.StoreAsync(request, TaskStates.Failure, CeleryExceptions.SoftTimeLimitExceeded().ToJson(), CeleryExceptions.Traceback(ex)).ConfigureAwait(false);
                await FailedEventAsync(request.Id, CeleryExceptions.SoftTimeLimitExceeded(), CeleryExceptions.Traceback(ex)).ConfigureAwait(false);
                return Settle.Ack;
            case CancelReason.Terminated:
                _logger.Terminated(request.DisplayName, request.Id);
                await _results.StoreAsync(request, TaskStates.Revoked, CeleryExceptions.Revoked("terminated").ToJson()).ConfigureAwait(false);
                await RevokedEventAsync(request.Id, terminated: true, expired: false).ConfigureAwait(false);
                return Settle.Ack;
            default:
                // Cold shutdown interrupted the task: its execution is lost. As Celery does for a lost worker,
                // an acks_late message is requeued with reject_on_worker_lost, else failed with WorkerLostError.
                if (rejectOnWorkerLost)
                {
                    await _events.TaskAsync(EventNames.TaskRejected, new JsonObject { ["uuid"] = request.Id, ["requeue"] = true }).ConfigureAwait(false);
                    return Settle.Requeue;
                }

                var lost = CeleryExceptions.WorkerLost("Worker exited prematurely: cold shutdown interrupted the task");
                await _results.StoreAsync(request, TaskStates.Failure, lost.ToJson()).ConfigureAwait(false);
                await FailedEventAsync(request.Id, lost, null).ConfigureAwait(false);
                return Settle.Ack;
        }
    }

    private async ValueTask<Settle> OnHardTimeLimitAsync(WorkerRequest r, Task<object?> execution, double seconds)
    {
        var request = r.Request;
        Cancel(r, CancelReason.HardTimeLimit);
        _logger.HardTimeLimit(request.DisplayName, request.Id, seconds);
        await _results.StoreAsync(request, TaskStates.Failure, CeleryExceptions.TimeLimitExceeded(seconds).ToJson()).ConfigureAwait(false);
        await FailedEventAsync(request.Id, CeleryExceptions.TimeLimitExceeded(seconds), null).ConfigureAwait(false);
        if (!r.Definition.IsAsync)
        {
            // The blocking body still holds its thread; keep the pool's capacity with a fresh one.
            _syncThreads.ReplaceAbandoned();
        }

        // The body cannot be killed in-process: its token fired; whatever it does later is ignored.
        _ = execution.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Settle.Ack;
    }

    /// <summary>
    /// A terminated body that ignored its token for the grace period: it cannot be killed in process, so it is left
    /// to run out in the background (its outcome ignored) while the task ends REVOKED and its slot is freed.
    /// </summary>
    private async ValueTask<Settle> OnAbandonedAfterTerminateAsync(WorkerRequest r, Task<object?> execution)
    {
        var request = r.Request;
        _logger.Abandoned(request.DisplayName, request.Id, r.AbandonGrace.TotalSeconds);
        await _results.StoreAsync(request, TaskStates.Revoked, CeleryExceptions.Revoked("terminated").ToJson()).ConfigureAwait(false);
        await RevokedEventAsync(request.Id, terminated: true, expired: false).ConfigureAwait(false);
        if (!r.Definition.IsAsync)
        {
            _syncThreads.ReplaceAbandoned();
        }

        _ = execution.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Settle.Ack;
    }

    private ValueTask FailedEventAsync(string id, ExceptionInfo info, string? traceback) =>
        _events.TaskAsync(EventNames.TaskFailed, new JsonObject { ["uuid"] = id, ["exception"] = info.ToString(), ["traceback"] = traceback });

    private ValueTask RevokedEventAsync(string id, bool terminated, bool expired) =>
        _events.TaskAsync(EventNames.TaskRevoked, new JsonObject { ["uuid"] = id, ["terminated"] = terminated, ["signum"] = terminated ? 15 : null, ["expired"] = expired });

    private static bool IsAutoretry(TaskDefinition definition, Exception ex) =>
        definition.Settings.AutoretryFor.Any(t => t.IsInstanceOfType(ex));

    private async ValueTask SafeAckAsync(WorkerRequest r)
    {
        try
        {
            await r.AckOnceAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.SettleFailed(r.Id, ex);
        }
    }

    private async ValueTask SettleAsync(WorkerRequest r, bool acksLate, Settle settle)
    {
        if (!acksLate || settle == Settle.Leave)
        {
            return;
        }

        try
        {
            if (settle == Settle.Requeue)
            {
                await r.RejectOnceAsync(requeue: true).ConfigureAwait(false);
            }
            else
            {
                await r.AckOnceAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.SettleFailed(r.Id, ex);
        }
    }

    private enum Settle
    {
        Ack,
        Requeue,
        Leave,
    }
}
