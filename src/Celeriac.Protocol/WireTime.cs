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
    public static bool TryParse(string? text, out DateTimeOffset value) => TryParse(text, out value, out _);

    /// <summary>True when <paramref name="text"/> is a time Celery accepts that names its offset (<c>Z</c> or <c>±HH:MM</c>).</summary>
    internal static bool HasOffset(string text) => TryParse(text, out _, out var aware) && aware;

    private static bool TryParse(string? text, out DateTimeOffset value, out bool aware)
    {
        value = default;
        aware = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var m = IsoPattern().Match(text.Trim());
        if (!m.Success)
        {
            return false;
        }

        // The pattern admits ASCII digits only and bounds every group's length, so these parses cannot fail.
        int G(string name) => m.Groups[name].Success ? int.Parse(m.Groups[name].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        var ticks = 0L;
        if (m.Groups["frac"].Success)
        {
            // Seven digits are 100 ns ticks; Python keeps six (microseconds), more are cut, never rounded.
            var frac = m.Groups["frac"].Value;
            frac = frac.Length > 7 ? frac[..7] : frac.PadRight(7, '0');
            ticks = long.Parse(frac, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        var offset = TimeSpan.Zero;
        if (m.Groups["oh"].Success)
        {
            if (G("om") > 59)
            {
                return false;
            }

            offset = new TimeSpan(G("oh"), G("om"), 0);
            if (m.Groups["sign"].Value == "-")
            {
                offset = -offset;
            }
        }

        try
        {
            var local = new DateTime(G("y"), G("mo"), G("d"), G("h"), G("mi"), G("s"), DateTimeKind.Unspecified).AddTicks(ticks);
            value = new DateTimeOffset(local, offset);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Month 13, hour 25, an offset beyond ±14 h, or an instant outside DateTimeOffset's range.
            return false;
        }

        aware = m.Groups["z"].Success || m.Groups["oh"].Success;
        return true;
    }

    /// <summary>Seconds since the UNIX epoch, as Python's <c>time.time()</c> float.</summary>
    public static double ToUnixSeconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;

    // [0-9], not \d: \d also matches non-ASCII digits, which Celery's grammar (and int.Parse) reject.
    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})(?:[T ](?<h>[0-9]{2}):(?<mi>[0-9]{2})(?::(?<s>[0-9]{2})(?:[.,](?<frac>[0-9]+))?)?)?(?:(?<z>Z)|(?<sign>[+-])(?<oh>[0-9]{2}):?(?<om>[0-9]{2}))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();
}
