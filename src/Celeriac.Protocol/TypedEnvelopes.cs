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

    public static JsonNode? Unwrap(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj.Count == 2 && obj.ContainsKey(TypeKey) && obj.ContainsKey(ValueKey))
                {
                    return Convert(obj);
                }

                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    var replaced = Unwrap(child);
                    if (!ReferenceEquals(child, replaced))
                    {
                        obj[key] = replaced;
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

    private static JsonValue? Convert(JsonObject obj)
    {
        var type = obj[TypeKey]?.GetValue<string>();
        var value = obj[ValueKey];
        switch (type)
        {
            case "datetime":
            case "time":
            case "decimal":
            case "bytes":
            case "base64":
                return JsonValue.Create(value?.GetValue<string>());
            case "date":
                // kombu 5.2 writes a date as a midnight datetime.
                var date = value?.GetValue<string>();
                return JsonValue.Create(date is null ? null : date + "T00:00:00");
            case "uuid":
                var hex = value?["hex"]?.GetValue<string>() ?? value?.GetValue<string>();
                return JsonValue.Create(hex is null ? null : Guid.Parse(hex).ToString("D"));
            default:
                throw new MessageDecodeException($"unknown kombu typed value '__type__': '{type}'");
        }
    }
}
