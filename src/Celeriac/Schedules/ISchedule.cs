namespace Celeriac.Schedules;

/// <summary>
/// When a periodic task runs, as pure math on instants and a time zone (no clock, no I/O). Celery's
/// <c>BaseSchedule</c>: <see cref="IsDue"/> is its <c>is_due(last_run_at)</c>. Source: celery/schedules.py.
/// </summary>
public interface ISchedule
{
    /// <summary>The first instant after <paramref name="lastRunAt"/> at which the schedule is due.</summary>
    /// <param name="lastRunAt">When the entry last ran (or when it was first seen).</param>
    /// <param name="zone">The zone whose wall clock the schedule's fields are read in.</param>
    DateTimeOffset NextRunAfter(DateTimeOffset lastRunAt, TimeZoneInfo zone);

    /// <summary>
    /// Whether an entry that last ran at <paramref name="lastRunAt"/> is due at <paramref name="now"/>, and when to
    /// look again: after a run, the time from <paramref name="now"/> to the next run.
    /// </summary>
    ScheduleState IsDue(DateTimeOffset lastRunAt, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var next = NextRunAfter(lastRunAt, zone);
        if (now >= next)
        {
            return new ScheduleState(true, Max0(NextRunAfter(now, zone) - now));
        }

        return new ScheduleState(false, next - now);
    }

    private static TimeSpan Max0(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;
}
