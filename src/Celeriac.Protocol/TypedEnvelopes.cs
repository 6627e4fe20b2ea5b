using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// kombu 5.3+ writes datetimes, decimals, UUIDs and bytes as <c>{"__type__": t, "__value__": v}</c>.
/// We read them back as the plain text kombu 5.2 would have written, so code above sees one form.
/// Source: kombu/utils/json.py (register_type, object_hook) at v5.3.0.
/// </summary>
internal static class TypedEnvelopes
{
    private const string TypeKey = "__type__";
    private const string ValueKey = "__value__";

    /// <summary>
    /// False when <paramref name="utf8"/> cannot hold a typed envelope, so the tree walk can be skipped:
    /// the key is either written plainly or has at least one <c>\u</c>-escaped character.
    /// </summary>
    public static bool MayContain(ReadOnlySpan<byte> utf8) => utf8.IndexOf("__type__"u8) >= 0 || utf8.IndexOf("\\u"u8) >= 0;

    /// <summary>Replaces every typed envelope in the tree, in place; returns the (possibly replaced) root.</summary>
    /// <exception cref="MessageDecodeException">An envelope has an unknown type or a value that does not fit it.</exception>
    public static JsonNode? Unwrap(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                // kombu's object_hook matches the exact key set {"__type__", "__value__"}.
                if (obj.Count == 2 && obj.ContainsKey(TypeKey) && obj.ContainsKey(ValueKey))
                {
                    return Convert(obj);
                }

                for (var i = 0; i < obj.Count; i++)
                {
                    var child = obj.GetAt(i).Value;
                    var replaced = Unwrap(child);
                    if (!ReferenceEquals(child, replaced))
                    {
                        obj.SetAt(i, replaced);
                    }
                }

                return obj;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    var child = arr[i];
                    var replaced = Unwrap(child);
                    if (!ReferenceEquals(child, replaced))
                    {
                        arr[i] = replaced;
                    }
                }

                return arr;
            default:
                return node;
        }
    }

    private static JsonValue Convert(JsonObject obj)
    {
        if (obj[TypeKey] is not JsonValue t || t.GetValueKind() != JsonValueKind.String)
        {
            throw new MessageDecodeException($"kombu typed value has a '{TypeKey}' that is not a string: {obj.ToJsonString()}");
        }

        var type = t.GetValue<string>();
        var value = obj[ValueKey];
        switch (type)
        {
            case "datetime":
                // kombu 5.2 wrote an aware UTC datetime with Z instead of +00:00.
                var text = Text(type, value);
                return JsonValue.Create(text.EndsWith("+00:00", StringComparison.Ordinal) ? text[..^6] + "Z" : text);
            case "date":
                // kombu 5.2 wrote a date as the midnight datetime.
                return JsonValue.Create(Text(type, value) + "T00:00:00");
            case "time":
            case "decimal":
            case "bytes":
            case "base64":
                // bytes: the UTF-8 text itself; base64: the base64 text, which binds to byte[] parameters.
                return JsonValue.Create(Text(type, value));
            case "uuid":
                // 5.3 writes {"hex": ...} (later versions add "version"); accept bare hex text as well.
                var hex = value is JsonObject o ? o["hex"] : value;
                return Guid.TryParse(hex is JsonValue h && h.GetValueKind() == JsonValueKind.String ? h.GetValue<string>() : null, out var uuid)
                    ? JsonValue.Create(uuid.ToString("D"))
                    : throw new MessageDecodeException($"kombu typed value 'uuid' has no valid hex: {obj.ToJsonString()}");
            default:
                throw new MessageDecodeException($"unknown kombu typed value '{TypeKey}': '{type}'");
        }
    }

    private static string Text(string type, JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new MessageDecodeException($"kombu typed value '{type}' must hold a string, not {value?.ToJsonString() ?? "null"}");
}
