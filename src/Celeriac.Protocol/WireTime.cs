using System.Globalization;
using System.Text.RegularExpressions;

namespace Celeriac.Protocol;

/// <summary>
/// Date and time text as Celery writes and reads it: Python's <c>isoformat()</c> (microseconds omitted when
/// zero) and the 5.2 ISO-8601 grammar, where naive values mean UTC.
/// Source: celery/utils/iso8601.py, celery/utils/time.py (maybe_make_aware).
/// </summary>
public static partial class WireTime
{
    /// <summary>Formats an aware time as Python's <c>datetime.isoformat()</c>: <c>2026-11-24T06:07:15.541891+00:00</c>.</summary>
    public static string FormatAware(DateTimeOffset value)
    {
        var offset = value.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return FormatNaive(value.DateTime) + sign + abs.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Formats a wall-clock time without offset, as Celery 5.2 writes <c>date_done</c> (naive UTC).</summary>
    public static string FormatNaive(DateTime value)
    {
        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        var text = value.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return micro == 0 ? text : text + "." + micro.ToString("000000", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parses Celery's ISO text. Naive values are taken as UTC; a trailing <c>Z</c> and <c>±HH:MM</c>/<c>±HHMM</c>
    /// offsets are honoured; a date alone is midnight UTC.
    /// </summary>
    /// <exception cref="FormatException">The text is not an ISO-8601 time Celery would accept.</exception>
    public static DateTimeOffset Parse(string text)
    {
        if (!TryParse(text, out var value))
        {
            throw new FormatException($"'{text}' is not an ISO-8601 date/time");
        }

        return value;
    }

    /// <summary>Parses Celery's ISO text; see <see cref="Parse"/>.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var m = IsoPattern().Match(text.Trim());
        if (!m.Success)
        {
            return false;
        }

        try
        {
            int G(string name, int fallback = 0) => m.Groups[name].Success ? int.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : fallback;
            var ticks = 0L;
            if (m.Groups["frac"].Success)
            {
                var frac = m.Groups["frac"].Value;
                frac = frac.Length > 7 ? frac[..7] : frac.PadRight(7, '0');
                ticks = long.Parse(frac, CultureInfo.InvariantCulture);
            }

            var local = new DateTime(G("y"), G("mo"), G("d"), G("h"), G("mi"), G("s"), DateTimeKind.Unspecified).AddTicks(ticks);
            var offset = TimeSpan.Zero;
            if (m.Groups["oh"].Success)
            {
                offset = new TimeSpan(G("oh"), G("om"), 0);
                if (m.Groups["sign"].Value == "-")
                {
                    offset = -offset;
                }
            }

            value = new DateTimeOffset(local, offset);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Seconds since the UNIX epoch, as Python's <c>time.time()</c> float.</summary>
    public static double ToUnixSeconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})(?:[T ](?<h>\d{2}):(?<mi>\d{2})(?::(?<s>\d{2})(?:[.,](?<frac>\d+))?)?)?(?:(?<z>Z)|(?<sign>[+-])(?<oh>\d{2}):?(?<om>\d{2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();
}
