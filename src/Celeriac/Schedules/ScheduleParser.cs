using System.Globalization;
using System.Text;

namespace Celeriac.Schedules;

/// <summary>
/// Reads a schedule written as Celery writes it in <c>beat_schedule</c>: a number of seconds (<c>10</c>, <c>"2.5"</c>),
/// <c>"timedelta(seconds=10)"</c>, <c>"schedule(10)"</c>, <c>"crontab(minute='*/1')"</c> (keyword or positional fields
/// in Celery's order minute, hour, day_of_week, day_of_month, month_of_year; strings, numbers or lists of numbers), or a
/// five-field cron line <c>"*/1 * * * *"</c> (Unix order). Solar schedules are refused with a clear message.
/// </summary>
public static class ScheduleParser
{
    private static readonly string[] CrontabOrder = [Crontab.MinuteField, Crontab.HourField, Crontab.DayOfWeekField, Crontab.DayOfMonthField, Crontab.MonthOfYearField];
    private static readonly string[] TimedeltaOrder = ["days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"];

    /// <summary>Parses <paramref name="text"/>; <paramref name="relative"/> applies to intervals.</summary>
    /// <exception cref="FormatException">The text is not a schedule; the message says what was expected.</exception>
    public static ISchedule Parse(string text, bool relative = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return Interval(seconds, text, relative);
        }

        var open = t.IndexOf('(', StringComparison.Ordinal);
        if (open > 0 && t.EndsWith(')'))
        {
            var name = t[..open].Trim();
            if (name.StartsWith("celery.schedules.", StringComparison.Ordinal))
            {
                name = name["celery.schedules.".Length..];
            }

            var (positional, named) = Arguments(t[(open + 1)..^1], text);
            return name switch
            {
                "crontab" => CrontabFrom(positional, named, text),
                "timedelta" or "datetime.timedelta" => Interval(Timedelta(positional, named, text), text, relative),
                "schedule" => ScheduleCall(positional, named, text, relative),
                "solar" => throw new FormatException($"'{text}': solar schedules are not supported; use crontab or an interval"),
                _ => throw new FormatException($"'{text}': unknown schedule '{name}'; expected seconds, timedelta(...), crontab(...) or a cron line like '*/5 * * * *'"),
            };
        }

        if (t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length == 5)
        {
            return Crontab.Parse(t);
        }

        throw new FormatException($"'{text}' is not a schedule; expected seconds (10), timedelta(seconds=10), crontab(minute='*/15') or a cron line like '*/15 * * * *'");
    }

    /// <summary>A crontab from Celery's keyword fields, e.g. read from a JSON object.</summary>
    /// <exception cref="FormatException">An unknown field name or a bad field value.</exception>
    public static Crontab CrontabFromFields(IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var key in fields.Keys)
        {
            if (!CrontabOrder.Contains(key))
            {
                throw new FormatException($"crontab has no field '{key}'; fields: {string.Join(", ", CrontabOrder)}");
            }
        }

        string F(string key) => fields.TryGetValue(key, out var v) ? v : "*";
        return new Crontab(F(Crontab.MinuteField), F(Crontab.HourField), F(Crontab.DayOfWeekField), F(Crontab.DayOfMonthField), F(Crontab.MonthOfYearField));
    }

    private static IntervalSchedule Interval(double seconds, string text, bool relative)
    {
        if (!(seconds > 0) || double.IsInfinity(seconds))
        {
            throw new FormatException($"'{text}': an interval must be a positive number of seconds");
        }

        return IntervalSchedule.FromSeconds(seconds, relative);
    }

    private static IntervalSchedule ScheduleCall(List<string> positional, Dictionary<string, string> named, string text, bool relative)
    {
        var every = named.Remove("run_every", out var e) ? e : positional.Count > 0 ? positional[0] : throw new FormatException($"'{text}': schedule() needs run_every");
        if (named.Remove("relative", out var r))
        {
            relative = r is "True" or "true" or "1";
        }

        if (named.Count > 0)
        {
            throw new FormatException($"'{text}': schedule() has no argument '{named.Keys.First()}'");
        }

        var inner = Parse(every, relative);
        return inner as IntervalSchedule ?? throw new FormatException($"'{text}': run_every must be seconds or a timedelta");
    }

    private static Crontab CrontabFrom(List<string> positional, Dictionary<string, string> named, string text)
    {
        if (positional.Count > CrontabOrder.Length)
        {
            throw new FormatException($"'{text}': crontab() takes at most 5 fields");
        }

        for (var i = 0; i < positional.Count; i++)
        {
            if (!named.TryAdd(CrontabOrder[i], positional[i]))
            {
                throw new FormatException($"'{text}': field {CrontabOrder[i]} given twice");
            }
        }

        return CrontabFromFields(named);
    }

    private static double Timedelta(List<string> positional, Dictionary<string, string> named, string text)
    {
        for (var i = 0; i < positional.Count && i < TimedeltaOrder.Length; i++)
        {
            named[TimedeltaOrder[i]] = positional[i];
        }

        double total = 0;
        foreach (var (key, value) in named)
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                throw new FormatException($"'{text}': timedelta {key}={value} is not a number");
            }

            total += key switch
            {
                "weeks" => n * 604800,
                "days" => n * 86400,
                "hours" => n * 3600,
                "minutes" => n * 60,
                "seconds" => n,
                "milliseconds" => n / 1e3,
                "microseconds" => n / 1e6,
                _ => throw new FormatException($"'{text}': timedelta has no argument '{key}'"),
            };
        }

        return total;
    }

    /// <summary>Splits <c>a, 'b', key='c,d', key2=[1, 2]</c> into positional and keyword values (quotes removed, lists joined with commas).</summary>
    private static (List<string> Positional, Dictionary<string, string> Named) Arguments(string inner, string text)
    {
        var positional = new List<string>();
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var depth = 0;
        foreach (var c in inner)
        {
            if (quote is { } q)
            {
                current.Append(c);
                if (c == q)
                {
                    quote = null;
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    current.Append(c);
                    break;
                case '[' or '(' or '{':
                    depth++;
                    current.Append(c);
                    break;
                case ']' or ')' or '}':
                    depth--;
                    current.Append(c);
                    break;
                case ',' when depth == 0:
                    parts.Add(current.ToString());
                    current.Clear();
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }

        if (quote is not null || depth != 0)
        {
            throw new FormatException($"'{text}': unbalanced quotes or brackets");
        }

        if (current.ToString().Trim().Length > 0 || parts.Count > 0)
        {
            parts.Add(current.ToString());
        }

        foreach (var raw in parts)
        {
            var part = raw.Trim();
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var isNamed = eq > 0 && part[..eq].Trim().All(ch => char.IsLetterOrDigit(ch) || ch == '_') && part[0] is not ('\'' or '"');
            var value = Value(isNamed ? part[(eq + 1)..].Trim() : part, text);
            if (isNamed)
            {
                if (!named.TryAdd(part[..eq].Trim(), value))
                {
                    throw new FormatException($"'{text}': argument {part[..eq].Trim()} given twice");
                }
            }
            else if (named.Count > 0)
            {
                throw new FormatException($"'{text}': a positional argument follows a keyword argument");
            }
            else
            {
                positional.Add(value);
            }
        }

        return (positional, named);
    }

    private static string Value(string v, string text)
    {
        if (v.Length >= 2 && (v[0] == '\'' || v[0] == '"') && v[^1] == v[0])
        {
            return v[1..^1];
        }

        if (v.Length >= 2 && (v[0] is '[' or '(' or '{') && v[^1] is ']' or ')' or '}')
        {
            // A list or set of numbers, e.g. minute=[0, 30]: the field string "0,30".
            return string.Join(",", v[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => Value(x, text)));
        }

        if (v.Length == 0)
        {
            throw new FormatException($"'{text}': an empty argument");
        }

        return v;
    }
}
