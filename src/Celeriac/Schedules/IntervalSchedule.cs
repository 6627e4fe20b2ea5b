using System.Globalization;

namespace Celeriac.Schedules;

/// <summary>
/// Every <see cref="Every"/> (Celery's <c>schedule(run_every, relative)</c>, and what a number of seconds or a
/// <c>timedelta</c> in <c>beat_schedule</c> becomes). The next run is <c>last_run_at + run_every</c>, counted in elapsed
/// time, so a DST change neither stalls nor doubles it. With <see cref="Relative"/> the due time is rounded down to the
/// interval's resolution on the zone's wall clock (whole days, hours or minutes), e.g. every hour on the hour.
/// </summary>
public sealed class IntervalSchedule : ISchedule, IEquatable<IntervalSchedule>
{
    /// <summary>Creates the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="every"/> is not positive.</exception>
    public IntervalSchedule(TimeSpan every, bool relative = false)
    {
        if (every <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(every), every, "an interval must be positive");
        }

        Every = every;
        Relative = relative;
    }

    /// <summary>The interval.</summary>
    public TimeSpan Every { get; }

    /// <summary>Whether due times are rounded down to the interval's resolution.</summary>
    public bool Relative { get; }

    /// <summary>Every <paramref name="seconds"/> seconds.</summary>
    public static IntervalSchedule FromSeconds(double seconds, bool relative = false) => new(TimeSpan.FromSeconds(seconds), relative);

    /// <inheritdoc />
    public DateTimeOffset NextRunAfter(DateTimeOffset lastRunAt, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var end = lastRunAt + Every;
        if (!Relative)
        {
            return end;
        }

        // celery.utils.time.delta_resolution: round the end down to days, hours or minutes when the interval is at
        // least one of those, on the zone's wall clock; microseconds are dropped either way.
        var wall = TimeZoneInfo.ConvertTime(end, zone).DateTime;
        var rounded = Every.TotalDays >= 1 ? wall.Date
            : Every.TotalHours >= 1 ? new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, 0, 0)
            : Every.TotalMinutes >= 1 ? new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, wall.Minute, 0)
            : new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, wall.Minute, wall.Second);
        return ZoneTime.FirstInstantAtOrAfterWall(rounded, zone, lastRunAt);
    }

    /// <inheritdoc />
    public bool Equals(IntervalSchedule? other) => other is not null && other.Every == Every && other.Relative == Relative;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IntervalSchedule);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Every, Relative);

    /// <summary>Celery's repr: <c>&lt;freq: 10.00 seconds&gt;</c>.</summary>
    public override string ToString() => "<freq: " + Humanize(Every) + ">";

    private static string Humanize(TimeSpan t)
    {
        // celery.utils.time.humanize_seconds: the largest unit that fits, two decimals, singular for exactly 1.
        foreach (var (unit, seconds) in new[] { ("week", 604800.0), ("day", 86400.0), ("hour", 3600.0), ("minute", 60.0), ("second", 1.0) })
        {
            var n = t.TotalSeconds / seconds;
            if (n >= 1)
            {
                return n.ToString("0.00", CultureInfo.InvariantCulture) + " " + unit + (Math.Abs(n - 1) < 1e-9 ? string.Empty : "s");
            }
        }

        return t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " seconds";
    }
}
