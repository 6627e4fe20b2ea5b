namespace Celeriac.Schedules;

/// <summary>
/// Wall-clock times of a zone turned into instants the way Celery's beat decides them: a schedule is due once the
/// zone's wall clock has reached the fire time. So a fire time that falls in a spring-forward gap is due at the end of
/// the gap (the transition instant), and one that occurs twice at a fall-back is due at its first occurrence.
/// </summary>
internal static class ZoneTime
{
    /// <summary>The first instant after <paramref name="after"/> whose wall clock in <paramref name="zone"/> reads <paramref name="wall"/> or later.</summary>
    public static DateTimeOffset FirstInstantAtOrAfterWall(DateTime wall, TimeZoneInfo zone, DateTimeOffset after)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wall))
        {
            return GapEnd(wall, zone);
        }

        if (zone.IsAmbiguousTime(wall))
        {
            var offsets = zone.GetAmbiguousTimeOffsets(wall);
            var earlier = new DateTimeOffset(wall, offsets.Max());
            return earlier > after ? earlier : new DateTimeOffset(wall, offsets.Min());
        }

        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }

    /// <summary>The instant the clocks jumped over <paramref name="wall"/>.</summary>
    private static DateTimeOffset GapEnd(DateTime wall, TimeZoneInfo zone)
    {
        // The transition lies between the instants the wall time would have with the offsets on either side of it;
        // find it by halving (tz transitions fall on whole seconds).
        var before = zone.GetUtcOffset(wall.AddDays(-1));
        var lo = new DateTimeOffset(wall - before - TimeSpan.FromDays(1), TimeSpan.Zero).UtcDateTime;
        var hi = new DateTimeOffset(DateTime.SpecifyKind(wall - before, DateTimeKind.Utc), TimeSpan.Zero).UtcDateTime;
        var wallTicks = wall.Ticks;
        while (hi - lo > TimeSpan.FromSeconds(1))
        {
            var mid = lo + ((hi - lo) / 2);
            var midWall = mid + zone.GetUtcOffset(mid);
            if (midWall.Ticks >= wallTicks)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        var utc = new DateTime(hi.Ticks - (hi.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        if ((utc + zone.GetUtcOffset(utc)).Ticks < wallTicks)
        {
            utc = utc.AddSeconds(1);
        }

        return TimeZoneInfo.ConvertTime(new DateTimeOffset(utc), zone);
    }
}
