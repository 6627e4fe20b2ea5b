using System.Globalization;

namespace Celeriac.Schedules;

/// <summary>
/// One crontab field parsed as Celery's <c>crontab_parser</c> reads it: a comma list of <c>*</c>, <c>N</c>,
/// <c>A-B</c> (wrapping past the maximum when B &lt; A, so <c>fri-mon</c> is 5, 6, 0, 1), <c>*/S</c> and <c>A-B/S</c>
/// (every S-th value of the expanded range, in its order); weekday names (first three letters, any case) in
/// <c>day_of_week</c>. Source: celery/schedules.py (crontab_parser, crontab._expand_cronspec), celery/utils/time.py (weekday).
/// </summary>
internal static class CrontabField
{
    private static readonly string[] Weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>The sorted values of <paramref name="spec"/> for a field of <paramref name="count"/> values from <paramref name="min"/>.</summary>
    /// <exception cref="FormatException">The spec is malformed or out of range; the message names <paramref name="field"/>.</exception>
    public static int[] Parse(string field, string spec, int count, int min)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var values = new SortedSet<int>();
        foreach (var raw in spec.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                throw Error(field, spec, "empty part");
            }

            foreach (var v in Part(field, spec, part, count, min))
            {
                values.Add(v);
            }
        }

        return [.. values];
    }

    private static List<int> Part(string field, string spec, string part, int count, int min)
    {
        var slash = part.IndexOf('/', StringComparison.Ordinal);
        var body = slash < 0 ? part : part[..slash];
        List<int> expanded;
        if (body == "*")
        {
            expanded = [.. Enumerable.Range(min, count)];
        }
        else
        {
            var dash = body.IndexOf('-', 1);
            if (body.StartsWith('-'))
            {
                throw Error(field, spec, "negative numbers are not supported");
            }

            if (dash < 0)
            {
                if (slash >= 0)
                {
                    // Celery reads "5/2" as the number "5/2" and fails; say why.
                    throw Error(field, spec, $"'{part}': a step needs '*' or a range before it (e.g. */{part[(slash + 1)..]})");
                }

                return [Number(field, spec, body, count, min)];
            }

            var from = Number(field, spec, body[..dash], count, min);
            var to = Number(field, spec, body[(dash + 1)..], count, min);
            expanded = to < from
                ? [.. Enumerable.Range(from, min + count - from), .. Enumerable.Range(min, to - min + 1)]
                : [.. Enumerable.Range(from, to - from + 1)];
        }

        if (slash < 0)
        {
            return expanded;
        }

        var stepText = part[(slash + 1)..];
        if (stepText.Length == 0)
        {
            throw Error(field, spec, "empty filter");
        }

        if (!int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step == 0)
        {
            throw Error(field, spec, $"'{stepText}' is not a positive step");
        }

        var stepped = new List<int>();
        for (var i = 0; i < expanded.Count; i += step)
        {
            stepped.Add(expanded[i]);
        }

        return stepped;
    }

    private static int Number(string field, string spec, string text, int count, int min)
    {
        text = text.Trim();
        int value;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            var abbreviation = text.Length >= 3 ? text[..3].ToLowerInvariant() : text.ToLowerInvariant();
            var day = Array.IndexOf(Weekdays, abbreviation);
            if (field != Crontab.DayOfWeekField || day < 0)
            {
                throw Error(field, spec, field == Crontab.DayOfWeekField
                    ? $"invalid weekday literal '{text}' (use 0-6 with 0 = Sunday, or sun, mon, tue, wed, thu, fri, sat)"
                    : $"'{text}' is not a number");
            }

            value = day;
        }

        var max = min + count - 1;
        if (value > max)
        {
            throw Error(field, spec, $"invalid end range: {value} > {max}");
        }

        if (value < min)
        {
            throw Error(field, spec, $"invalid beginning range: {value} < {min}");
        }

        return value;
    }

    private static FormatException Error(string field, string spec, string reason) =>
        new($"crontab field {field}='{spec}': {reason}");
}
