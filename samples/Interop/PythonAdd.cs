using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Tasks;

namespace Interop;

/// <summary>Python's <c>+</c> and <c>*</c> over JSON values: integers stay integers, lists and strings concatenate.</summary>
internal static class PythonAdd
{
    public static JsonNode? Add(JsonNode? x, JsonNode? y) => (x, y) switch
    {
        (JsonArray a, JsonArray b) => new JsonArray([.. a.Select(n => n?.DeepClone()), .. b.Select(n => n?.DeepClone())]),
        (JsonValue a, JsonValue b) when a.GetValueKind() == JsonValueKind.String && b.GetValueKind() == JsonValueKind.String =>
            a.GetValue<string>() + b.GetValue<string>(),
        _ when Integer(x) is { } a && Integer(y) is { } b => a + b,
        _ => Number(x) + Number(y),
    };

    public static JsonNode? Multiply(JsonNode? x, JsonNode? y) =>
        Integer(x) is { } a && Integer(y) is { } b ? a * b : Number(x) * Number(y);

    private static long? Integer(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static double Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture)
            : throw new TaskArgumentException($"unsupported operand type: {node?.GetValueKind().ToString() ?? "NoneType"}");
}
