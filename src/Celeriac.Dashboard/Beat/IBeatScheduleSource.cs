namespace Celeriac.Dashboard.Beat;

/// <summary>
/// Where the Beat page reads the periodic-task schedule from: its entries, when each last ran and when it runs next.
/// Celery's beat publishes none of this on the wire (its schedule lives in the beat process's own file), so the page
/// reads the store the scheduler keeps: <see cref="AppBeatScheduleSource"/> (the default) reads Celeriac beat's; pass
/// another implementation to <c>AddCeleriacDashboard</c> for another scheduler.
/// </summary>
public interface IBeatScheduleSource
{
    /// <summary>Where the schedule is read from, for the page's header (no secrets).</summary>
    string Description { get; }

    /// <summary>Reads the schedule as it is now.</summary>
    Task<BeatScheduleSnapshot> ReadAsync(CancellationToken cancellationToken = default);
}
