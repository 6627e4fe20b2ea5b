using Microsoft.Extensions.Logging;

namespace Celeriac.Beat;

/// <summary>Beat's log lines, worded as Celery's (celery/beat.py, celery/apps/beat.py) where Celery has one.</summary>
internal static partial class BeatLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "beat: Starting...")]
    public static partial void Starting(this ILogger logger);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Scheduler: Sending due task {Name} ({Task})")]
    public static partial void Sending(this ILogger logger, string name, string task);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "{Task} sent. id->{Id}")]
    public static partial void Sent(this ILogger logger, string task, string id);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Message Error: Couldn't apply scheduled task {Name}: {Error}")]
    public static partial void MessageError(this ILogger logger, string name, string error, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "beat: Shutting down...")]
    public static partial void ShuttingDown(this ILogger logger);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "beat: Acquired the schedule as leader {Owner} (fencing token {Token}, store {Store})")]
    public static partial void Acquired(this ILogger logger, string owner, long token, string store);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "beat: Standing by: the schedule is held by {Leader}; taking over if its lease lapses")]
    public static partial void StandingBy(this ILogger logger, string leader);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "beat: Lost the schedule lease (fencing token {Token}); standing by")]
    public static partial void Lost(this ILogger logger, long token);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Reset: Timezone changed from {Stored} to {Current}")]
    public static partial void TimezoneReset(this ILogger logger, string stored, string current);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Scheduler: Skipping missed run of {Name} ({Task}) due at {Due}")]
    public static partial void SkippingMissed(this ILogger logger, string name, string task, string due);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "beat: Connection error: {Error}. Trying again in {Seconds} seconds...")]
    public static partial void StoreError(this ILogger logger, string error, double seconds, Exception exception);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "beat: Waking up in {Delay}.")]
    public static partial void WakingUp(this ILogger logger, string delay);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Scheduler: Sending missed run of {Name} ({Task}) due at {Due}, once")]
    public static partial void SendingMissed(this ILogger logger, string name, string task, string due);
}
