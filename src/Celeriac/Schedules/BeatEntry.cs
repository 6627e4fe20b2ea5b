using Celeriac.Canvas;

namespace Celeriac.Schedules;

/// <summary>
/// One periodic task as defined in code or in <c>beat_schedule</c>: what to send (a signature with Celery's
/// <c>apply_async</c> options such as <c>queue</c>, <c>expires</c>, <c>priority</c>) and when.
/// </summary>
public sealed record BeatEntry
{
    /// <summary>Creates the entry.</summary>
    public BeatEntry(string name, Signature signature, ISchedule schedule)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Signature = signature ?? throw new ArgumentNullException(nameof(signature));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
    }

    /// <summary>The entry's name, unique in the schedule (the key of <c>beat_schedule</c>).</summary>
    public string Name { get; }

    /// <summary>The task call, with its arguments and options.</summary>
    public Signature Signature { get; }

    /// <summary>When it runs.</summary>
    public ISchedule Schedule { get; }

    /// <summary>The zone the schedule is read in; the app's <c>timezone</c> when null.</summary>
    public TimeZoneInfo? TimeZone { get; init; }

    /// <summary>What to do with a missed run; <c>beat_missed_run_policy</c> when null.</summary>
    public MissedRunPolicy? MissedRunPolicy { get; init; }

    /// <summary>The task name.</summary>
    public string Task => Signature.Task;
}
