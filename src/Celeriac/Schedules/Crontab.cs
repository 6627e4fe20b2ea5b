using System.Globalization;

namespace Celeriac.Schedules;

/// <summary>
/// Celery's <c>crontab(minute, hour, day_of_week, day_of_month, month_of_year)</c>, read on the wall clock of the
/// entry's zone. Field syntax as Celery's (see <see cref="Parse"/>); <c>day_of_week</c> 0 = Sunday. Unlike Unix cron,
/// a day runs only when <b>all</b> of <c>day_of_week</c>, <c>day_of_month</c> and <c>month_of_year</c> match it.
/// The next run is the first wall-clock minute after the last run that matches every field; it is due once the wall
/// clock reaches it: in a spring-forward gap that is the end of the gap, at a fall-back the first of the two
/// occurrences, and the repeated hour does not fire again. Source: celery/schedules.py (crontab, remaining_delta, is_due).
/// </summary>
public sealed class Crontab : ISchedule, IEquatable<Crontab>
{
    internal const string MinuteField = "minute";
    internal const string HourField = "hour";
    internal const string DayOfWeekField = "day_of_week";
    internal const string DayOfMonthField = "day_of_month";
    internal const string MonthOfYearField = "month_of_year";

    // A dow/dom/moy combination that exists recurs within 28 years (29 February on a given weekday); look a little further.
    private const int SearchYears = 30;

    private readonly int[] _minutes;
    private readonly int[] _hours;
    private readonly bool[] _daysOfWeek = new bool[7];
    private readonly bool[] _daysOfMonth = new bool[32];
    private readonly bool[] _months = new bool[13];

    /// <summary>Creates a crontab from Celery's field strings (<c>"*/15"</c>, <c>"0,30"</c>, <c>"mon-fri"</c>, <c>"1-7,15-21"</c>).</summary>
    /// <exception cref="FormatException">A field is malformed, out of range, or the days can never match; the message names the field.</exception>
    public Crontab(string minute = "*", string hour = "*", string dayOfWeek = "*", string dayOfMonth = "*", string monthOfYear = "*")
    {
        Minute = minute ?? throw new ArgumentNullException(nameof(minute));
        Hour = hour ?? throw new ArgumentNullException(nameof(hour));
        DayOfWeek = dayOfWeek ?? throw new ArgumentNullException(nameof(dayOfWeek));
        DayOfMonth = dayOfMonth ?? throw new ArgumentNullException(nameof(dayOfMonth));
        MonthOfYear = monthOfYear ?? throw new ArgumentNullException(nameof(monthOfYear));
        _minutes = CrontabField.Parse(MinuteField, minute, 60, 0);
        _hours = CrontabField.Parse(HourField, hour, 24, 0);
        Minutes = _minutes;
        Hours = _hours;
        DaysOfWeek = Mark(_daysOfWeek, CrontabField.Parse(DayOfWeekField, dayOfWeek, 7, 0));
        DaysOfMonth = Mark(_daysOfMonth, CrontabField.Parse(DayOfMonthField, dayOfMonth, 31, 1));
        MonthsOfYear = Mark(_months, CrontabField.Parse(MonthOfYearField, monthOfYear, 12, 1));
        if (!MonthsOfYear.Any(m => DaysOfMonth.Any(d => d <= MaxDays(m))))
        {
            throw new FormatException($"crontab fields day_of_month='{dayOfMonth}' and month_of_year='{monthOfYear}': no such day ever exists");
        }
    }

    /// <summary>The <c>minute</c> field as given.</summary>
    public string Minute { get; }

    /// <summary>The <c>hour</c> field as given.</summary>
    public string Hour { get; }

    /// <summary>The <c>day_of_week</c> field as given.</summary>
    public string DayOfWeek { get; }

    /// <summary>The <c>day_of_month</c> field as given.</summary>
    public string DayOfMonth { get; }

    /// <summary>The <c>month_of_year</c> field as given.</summary>
    public string MonthOfYear { get; }

    /// <summary>The expanded minutes (0-59), ascending.</summary>
    public IReadOnlyList<int> Minutes { get; }

    /// <summary>The expanded hours (0-23), ascending.</summary>
    public IReadOnlyList<int> Hours { get; }

    /// <summary>The expanded weekdays (0 = Sunday … 6 = Saturday), ascending.</summary>
    public IReadOnlyList<int> DaysOfWeek { get; }

    /// <summary>The expanded days of the month (1-31), ascending.</summary>
    public IReadOnlyList<int> DaysOfMonth { get; }

    /// <summary>The expanded months (1-12), ascending.</summary>
    public IReadOnlyList<int> MonthsOfYear { get; }

    /// <summary>
    /// Parses the five fields of a cron line in Unix order, <c>minute hour day_of_month month_of_year day_of_week</c>
    /// (<c>"*/1 * * * *"</c>, <c>"0 7 * * mon-fri"</c>), each with Celery's field syntax.
    /// </summary>
    /// <exception cref="FormatException">The line does not have five fields, or a field is bad (the message names it).</exception>
    public static Crontab Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"'{expression}' is not a crontab line: expected 5 fields (minute hour day_of_month month_of_year day_of_week), got {fields.Length}");
        }

        return new Crontab(minute: fields[0], hour: fields[1], dayOfMonth: fields[2], monthOfYear: fields[3], dayOfWeek: fields[4]);
    }

    /// <inheritdoc />
    public DateTimeOffset NextRunAfter(DateTimeOffset lastRunAt, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var last = TimeZoneInfo.ConvertTime(lastRunAt, zone).DateTime;
        return ZoneTime.FirstInstantAtOrAfterWall(NextWallAfter(last), zone, lastRunAt);
    }

    /// <summary>The first wall-clock minute after <paramref name="wall"/> (a minute later at least) that matches every field.</summary>
    public DateTime NextWallAfter(DateTime wall)
    {
        var day = wall.Date;
        if (DateMatches(day))
        {
            // Later in the same hour, then later the same day (Celery's execute_this_hour / execute_today).
            if (Contains(_hours, wall.Hour) && Next(_minutes, wall.Minute) is { } minute)
            {
                return day.AddHours(wall.Hour).AddMinutes(minute);
            }

            if (Next(_hours, wall.Hour) is { } hour)
            {
                return day.AddHours(hour).AddMinutes(_minutes[0]);
            }
        }

        var limit = day.AddYears(SearchYears);
        for (var d = day.AddDays(1); d < limit; d = d.AddDays(1))
        {
            if (!_months[d.Month])
            {
                // Skip the rest of a month that never matches.
                d = new DateTime(d.Year, d.Month, 1).AddMonths(1).AddDays(-1);
                continue;
            }

            if (DateMatches(d))
            {
                return d.AddHours(_hours[0]).AddMinutes(_minutes[0]);
            }
        }

        throw new InvalidOperationException($"{this} has no run in the {SearchYears} years after {wall:O}");
    }

    /// <inheritdoc />
    public bool Equals(Crontab? other) =>
        other is not null && other.Minutes.SequenceEqual(Minutes) && other.Hours.SequenceEqual(Hours)
        && other.DaysOfWeek.SequenceEqual(DaysOfWeek) && other.DaysOfMonth.SequenceEqual(DaysOfMonth) && other.MonthsOfYear.SequenceEqual(MonthsOfYear);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Crontab);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Minutes.Count, Hours.Count, DaysOfWeek.Count, DaysOfMonth.Count, MonthsOfYear.Count, Minutes[0], Hours[0]);

    /// <summary>Celery's repr: <c>&lt;crontab: */15 * * * * (m/h/d/dM/MY)&gt;</c> (minute, hour, day_of_week, day_of_month, month_of_year).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"<crontab: {Minute} {Hour} {DayOfWeek} {DayOfMonth} {MonthOfYear} (m/h/d/dM/MY)>");

    private bool DateMatches(DateTime date) =>
        _months[date.Month] && _daysOfMonth[date.Day] && _daysOfWeek[(int)date.DayOfWeek];

    private static bool Contains(int[] sorted, int value) => Array.BinarySearch(sorted, value) >= 0;

    private static int? Next(int[] sorted, int after)
    {
        foreach (var v in sorted)
        {
            if (v > after)
            {
                return v;
            }
        }

        return null;
    }

    private static int MaxDays(int month) => month == 2 ? 29 : DateTime.DaysInMonth(2001, month);

    private static int[] Mark(bool[] marks, int[] values)
    {
        foreach (var v in values)
        {
            marks[v] = true;
        }

        return values;
    }
}
