using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// Reads numbers from JSON values whatever backs them: parsed JSON (a JsonElement) or a CLR number put into a
/// node in process (<c>JsonValue.Create(5L)</c>), which <c>GetValue&lt;double&gt;()</c> alone does not convert.
/// </summary>
public static class JsonNumbers
{
    /// <summary>The value as a double, when it is a number.</summary>
    public static bool TryGetDouble(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue<JsonElement>(out var e))
        {
            return e.TryGetDouble(out value);
        }

        if (v.TryGetValue<double>(out value))
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

        if (v.TryGetValue<decimal>(out var m))
        {
            value = (double)m;
            return true;
        }

        if (v.TryGetValue<float>(out var f))
        {
            value = f;
            return true;
        }

        return double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value as an int, when it is a whole number in range.</summary>
    public static bool TryGetInt32(JsonNode? node, out int value)
    {
        value = 0;
        if (!TryGetDouble(node, out var d) || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
        {
            return false;
        }

        value = (int)d;
        return true;
    }
}
