using System.Globalization;

namespace Celeriac.Protocol;

/// <summary>
/// Python's <c>repr(float)</c>: the shortest round-trip digits, fixed notation for exponents -4..15 with a
/// trailing <c>.0</c> on integral values, scientific (<c>1e-05</c>, <c>1e+16</c>) otherwise.
/// Source: CPython Python/pystrtod.c (format_float_short, repr mode 'r').
/// </summary>
internal static class PythonFloat
{
    public static string Repr(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        // "E16" is not shortest; "R" is shortest round-trip, so take its digits and exponent.
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = r[0] == '-';
        if (negative)
        {
            r = r[1..];
        }

        var exponent = 0;
        var ePos = r.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exponent = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..ePos];
        }

        var dot = r.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? r[..dot] : r;
        var fracPart = dot >= 0 ? r[(dot + 1)..] : string.Empty;
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return negative ? "-0.0" : "0.0";
        }

        // decimalExponent: value = 0.d1d2d3... x 10^decimalExponent
        var decimalExponent = intPart.Length - leadingZeros + exponent;
        var sciExponent = decimalExponent - 1;
        string body;
        if (sciExponent < -4 || sciExponent >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            body = mantissa + "e" + (sciExponent < 0 ? "-" : "+") + Math.Abs(sciExponent).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (decimalExponent <= 0)
        {
            body = "0." + new string('0', -decimalExponent) + digits;
        }
        else if (decimalExponent >= digits.Length)
        {
            body = digits + new string('0', decimalExponent - digits.Length) + ".0";
        }
        else
        {
            body = digits[..decimalExponent] + "." + digits[decimalExponent..];
        }

        return negative ? "-" + body : body;
    }
}
