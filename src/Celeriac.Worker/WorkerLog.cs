using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// The worker's log lines, worded as Celery's so that people and tools that read Celery logs read ours.
/// Source: celery/app/trace.py (LOG_SUCCESS, LOG_FAILURE, ...), celery/worker/strategy.py (LOG_RECEIVED).
/// </summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Task {Name}[{Id}] received")]
    public static partial void Received(this ILogger logger, string name, string id);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Task {Name}[{Id}] succeeded in {Runtime}s: {Result}")]
    public static partial void Succeeded(this ILogger logger, string name, string id, string runtime, string result);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Task {Name}[{Id}] raised unexpected: {Exception}")]
    public static partial void Failed(this ILogger logger, string name, string id, string exception, Exception? error);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Task {Name}[{Id}] retry: Retry in {Countdown}s: {Exception}")]
    public static partial void Retrying(this ILogger logger, string name, string id, string countdown, string exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Discarding revoked task: {Name}[{Id}]")]
    public static partial void DiscardingRevoked(this ILogger logger, string name, string id);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Discarding expired task: {Name}[{Id}] (expired at {Expires})")]
    public static partial void DiscardingExpired(this ILogger logger, string name, string id, string expires);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "Received unregistered task of type '{Name}'. The message has been ignored and discarded. Did you remember to register the task (app.Task or [CeleriacTask]) and is the name the same on both sides? id={Id}")]
    public static partial void Unregistered(this ILogger logger, string name, string? id);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Received invalid task message from queue '{Queue}': {Reason}. The message has been rejected. id={Id}")]
    public static partial void InvalidMessage(this ILogger logger, string queue, string reason, string? id);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Task {Name}[{Id}] terminated")]
    public static partial void Terminated(this ILogger logger, string name, string id);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "Task {Name}[{Id}] hard time limit ({Seconds}s) exceeded")]
    public static partial void HardTimeLimit(this ILogger logger, string name, string id, double seconds);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Task {Name}[{Id}] soft time limit ({Seconds}s) exceeded")]
    public static partial void SoftTimeLimit(this ILogger logger, string name, string id, double seconds);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Task {Name}[{Id}] did not stop within {Grace}s after cancellation; abandoning it and freeing its slot")]
    public static partial void Abandoned(this ILogger logger, string name, string id, double grace);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "{Node} ready. Consuming {Queues} from {Broker} with concurrency {Concurrency}, prefetch {Prefetch}")]
    public static partial void Ready(this ILogger logger, string node, string queues, string broker, int concurrency, int prefetch);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "worker: Warm shutdown (MainProcess)")]
    public static partial void WarmShutdown(this ILogger logger);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "worker: Cold shutdown (MainProcess)")]
    public static partial void ColdShutdown(this ILogger logger);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Error, Message = "Could not store the result of task {Id}")]
    public static partial void StoreFailed(this ILogger logger, string id, Exception error);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Error, Message = "Could not acknowledge or reject message of task {Id}")]
    public static partial void SettleFailed(this ILogger logger, string id, Exception error);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Critical, Message = "Unrecoverable error in the worker's consumer; the worker stops")]
    public static partial void ConsumerCrashed(this ILogger logger, Exception error);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Error, Message = "Task {Name}[{Id}] could not be retried: publishing the retry failed")]
    public static partial void RetryPublishFailed(this ILogger logger, string name, string id, Exception error);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Received invalid task message from queue '{Queue}': {Reason}. The message was moved to the dead-letter list '{List}'. id={Id}")]
    public static partial void InvalidMessageDeadLettered(this ILogger logger, string queue, string reason, string list, string? id);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Received unregistered task of type '{Name}'. The message was moved to the dead-letter list '{List}'. Did you remember to register the task (app.Task or [CeleriacTask]) and is the name the same on both sides? id={Id}")]
    public static partial void UnregisteredDeadLettered(this ILogger logger, string name, string list, string? id);
}
