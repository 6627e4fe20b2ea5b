namespace Celeriac.Schedules;

/// <summary>
/// An entry as beat sees it (Celery's <c>ScheduleEntry</c>): its definition, when it last ran, how often it ran, and when
/// it runs next. Read it with <see cref="BeatSchedule.GetStatusAsync"/> (dashboards) or from a running beat service.
/// </summary>
/// <param name="Entry">The definition.</param>
/// <param name="LastRunAt">When it last ran, or when beat first saw it (Celery starts entries at "now").</param>
/// <param name="TotalRunCount">How many times it was sent.</param>
/// <param name="NextRunAt">When it is due next, in its zone.</param>
public sealed record ScheduleEntry(BeatEntry Entry, DateTimeOffset? LastRunAt, long TotalRunCount, DateTimeOffset? NextRunAt)
{
    /// <summary>The entry's name.</summary>
    public string Name => Entry.Name;

    /// <summary>The task name.</summary>
    public string Task => Entry.Task;
}
