using System.Globalization;

namespace Celeriac.Tasks;

/// <summary>
/// Celery's rate-limit strings: <c>"10/s"</c>, <c>"100/m"</c>, <c>"1000/h"</c>, or a bare number per second; the
/// count may be fractional; <c>0</c> or empty means no limit. Source: celery/utils/time.py (rate).
/// </summary>
public static class RateLimit
{
    /// <summary>Tokens per second, or null for no limit.</summary>
    /// <exception cref="FormatException">Not a rate-limit string.</exception>
    public static double? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var count) || count < 0)
        {
            throw new FormatException($"Invalid rate limit string: '{text}' (use N/s, N/m or N/h)");
        }

        var per = parts.Length == 1 ? 1.0 : parts[1].Trim().ToLowerInvariant() switch
        {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => throw new FormatException($"Invalid rate limit string: '{text}' (use N/s, N/m or N/h)"),
        };
        return count == 0 ? null : count / per;
    }
}
