using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// Numbers in JSON nodes, whatever backs them: a parsed <see cref="JsonElement"/> or a CLR value put in with
/// <see cref="JsonValue.Create{T}(T, JsonNodeOptions?)"/>. <c>GetValue&lt;double&gt;()</c> throws for a node that
/// holds an <see cref="int"/>, so every numeric read goes through here.
/// </summary>
internal static class PythonNumber
{
    /// <summary>
    /// The text Python's <c>json.dumps</c> writes for this number: integers as they are, floats as
    /// <c>repr(float)</c> (<c>1.0</c>, <c>1e-05</c>), non-finite floats as <c>NaN</c>/<c>Infinity</c>.
    /// </summary>
    public static string Format(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            return Format(element);
        }

        if (value.TryGetValue<double>(out var d))
        {
            return PythonFloat.Repr(d);
        }

        if (value.TryGetValue<float>(out var f))
        {
            // Python has no single precision; the float's own shortest text is what the caller meant (0.1f -> 0.1).
            return PythonFloat.Repr(double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }

        if (value.TryGetValue<Half>(out var half))
        {
            return PythonFloat.Repr(double.Parse(half.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }

        if (value.TryGetValue<decimal>(out var m))
        {
            // Exact decimal text; Python would read it as a float, but writing fewer digits would lose the value.
            return m.ToString(CultureInfo.InvariantCulture);
        }

        // Integers of any width: their invariant JSON text is the Python text.
        return value.ToJsonString();
    }

    /// <summary>The Python text of a parsed number; see <see cref="Format(JsonValue)"/>.</summary>
    public static string Format(JsonElement number)
    {
        var raw = number.GetRawText();
        if (IsIntegerLiteral(raw))
        {
            // Python reads -0 as the int 0.
            return raw == "-0" ? "0" : raw;
        }

        // Python reads any literal with a fraction or exponent as a float (1e400 becomes inf).
        return PythonFloat.Repr(number.GetDouble());
    }

    /// <summary>Reads any JSON number as a double.</summary>
    public static bool TryGetDouble(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue<JsonElement>(out var element))
        {
            return element.TryGetDouble(out value);
        }

        if (v.TryGetValue(out value))
        {
            return true;
        }

        if (v.TryGetValue<long>(out var l))
        {
            value = l;
            return true;
        }

        if (v.TryGetValue<int>(out var i))
        {
            value = i;
            return true;
        }

        return double.TryParse(Format(v), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Reads a JSON number that is a whole number within <see cref="int"/> range (<c>2</c> and <c>2.0</c> both count).</summary>
    public static bool TryGetInt32(JsonNode? node, out int value)
    {
        value = 0;
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out value))
            {
                return true;
            }

            if (v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue)
            {
                value = (int)l;
                return true;
            }

            if (v.TryGetValue<JsonElement>(out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out value))
            {
                return true;
            }
        }

        if (TryGetDouble(node, out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }

        return false;
    }

    private static bool IsIntegerLiteral(string raw) =>
        !raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.Ordinal) && !raw.Contains('E', StringComparison.Ordinal);
}
