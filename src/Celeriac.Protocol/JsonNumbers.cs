using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// Reads numbers from JSON values whatever backs them: parsed JSON (a JsonElement) or a CLR number put into a
/// node in process (<c>JsonValue.Create(5L)</c>), which <c>GetValue&lt;double&gt;()</c> alone does not convert.
/// </summary>
public static class JsonNumbers
{
    /// <summary>The value as a double, when it is a number.</summary>
    public static bool TryGetDouble(JsonNode? node, out double value) => PythonNumber.TryGetDouble(node, out value);

    /// <summary>The value as an int, when it is a whole number in range.</summary>
    public static bool TryGetInt32(JsonNode? node, out int value) => PythonNumber.TryGetInt32(node, out value);
}
