namespace Celeriac.Schedules;

/// <summary>
/// What beat does with a run whose time passed while no beat was sending (beat down, or a leader hand-over slower than
/// <c>beat_missed_run_grace</c>).
/// </summary>
public enum MissedRunPolicy
{
    /// <summary>Send it once, late, then carry on from now; however many runs were missed (Celery's behaviour).</summary>
    RunOnce = 0,

    /// <summary>Do not send it; carry on with the next run after now.</summary>
    Skip = 1,
}
