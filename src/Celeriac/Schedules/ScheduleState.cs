namespace Celeriac.Schedules;

/// <summary>
/// The answer of <see cref="ISchedule.IsDue"/>, Celery's <c>schedstate(is_due, next)</c>: whether to send now, and how
/// long until the schedule should be asked again.
/// </summary>
/// <param name="IsDue">Whether the entry is due now.</param>
/// <param name="NextCheck">How long until the next check (the time to the next run when due now).</param>
public readonly record struct ScheduleState(bool IsDue, TimeSpan NextCheck);
