using Celeriac.Schedules;

namespace Celeriac;

/// <summary>Beat settings (<c>beat_*</c>). Source of Celery's defaults: celery/app/defaults.py.</summary>
public sealed record BeatOptions
{
    /// <summary><c>beat_schedule</c>: the periodic tasks; <c>app.Beat</c> starts with these.</summary>
    public IReadOnlyList<BeatEntry> Schedule { get; init; } = [];

    /// <summary>
    /// <c>beat_schedule_filename</c>: the local state file used when the broker has no beat store (JSON, so not Celery's
    /// shelve name <c>celerybeat-schedule</c>: a Python beat's pickle file next to it is never read).
    /// </summary>
    public string ScheduleFilename { get; init; } = "celerybeat-schedule.json";

    /// <summary><c>beat_max_loop_interval</c>: the longest beat sleeps between looks at the schedule (Celery: 300 s).</summary>
    public TimeSpan MaxLoopInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// <c>beat_leader_lease</c>: how long the leader's lease lasts without renewal (renewed every third of it). A standby beat
    /// tries again when the lease would lapse (or every sixth of it), so it takes over within this long after the leader dies.
    /// </summary>
    public TimeSpan LeaderLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>beat_missed_run_policy</c>: the default for entries that do not set their own.</summary>
    public MissedRunPolicy MissedRunPolicy { get; init; } = MissedRunPolicy.RunOnce;

    /// <summary>
    /// <c>beat_missed_run_grace</c>: a run found due later than this after its time counts as missed (and is skipped by
    /// entries with <see cref="MissedRunPolicy.Skip"/>). Longer than a leader hand-over, so a hand-over loses no run.
    /// </summary>
    public TimeSpan MissedRunGrace { get; init; } = TimeSpan.FromSeconds(60);
}
