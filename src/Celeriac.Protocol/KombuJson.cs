using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// JSON exactly as kombu writes it: Python's <c>json.dumps</c> defaults, i.e. separators <c>", "</c> and
/// <c>": "</c>, <c>ensure_ascii=True</c> and Python's float repr. Peers accept compact JSON too, but writing
/// the same bytes keeps captures comparable and lets byte-level golden tests mean something.
/// Source: kombu/utils/json.py (dumps), CPython Lib/json/encoder.py.
/// </summary>
public static class KombuJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>Serializes <paramref name="node"/> as Python's <c>json.dumps</c> would.</summary>
    public static byte[] Serialize(JsonNode? node) => Encoding.ASCII.GetBytes(SerializeToString(node));

    /// <summary>Serializes <paramref name="node"/> as Python's <c>json.dumps</c> would, as text.</summary>
    public static string SerializeToString(JsonNode? node)
    {
        var sb = new StringBuilder(128);
        Write(sb, node);
        return sb.ToString();
    }

    /// <summary>
    /// Parses JSON text, turning kombu 5.3+ typed envelopes (<c>{"__type__": ..., "__value__": ...}</c>) into
    /// the plain values kombu 5.2 would have written, so that 5.2 and 5.3+ peers read the same.
    /// </summary>
    /// <exception cref="MessageDecodeException">The bytes are not JSON, or a typed envelope is unknown.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, NodeOptions, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new MessageDecodeException($"body is not valid JSON: {ex.Message}", ex);
        }

        return TypedEnvelopes.Unwrap(node);
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    WriteString(sb, key);
                    sb.Append(": ");
                    Write(sb, value);
                }

                sb.Append('}');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Write(sb, arr[i]);
                }

                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON node {node.GetType()}");
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.GetValue<object>() is JsonElement e ? e.GetString()! : value.ToString());
                return;
            case JsonValueKind.True:
                sb.Append("true");
                return;
            case JsonValueKind.False:
                sb.Append("false");
                return;
            case JsonValueKind.Null:
                sb.Append("null");
                return;
            case JsonValueKind.Number:
                WriteNumber(sb, value);
                return;
            default:
                // Values that System.Text.Json would serialize as objects or arrays (rare: CLR objects put into a
                // JsonValue). Round-trip them through a node so the Python layout still applies.
                Write(sb, JsonNode.Parse(value.ToJsonString()));
                return;
        }
    }

    private static void WriteNumber(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            var raw = element.GetRawText();
            if (raw.Contains('.', StringComparison.Ordinal) || raw.Contains('e', StringComparison.OrdinalIgnoreCase))
            {
                sb.Append(PythonFloat.Repr(element.GetDouble()));
            }
            else
            {
                sb.Append(raw);
            }

            return;
        }

        if (value.TryGetValue<double>(out var d))
        {
            sb.Append(PythonFloat.Repr(d));
        }
        else if (value.TryGetValue<float>(out var f))
        {
            sb.Append(PythonFloat.Repr(f));
        }
        else if (value.TryGetValue<decimal>(out var m))
        {
            sb.Append(m.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            // Integers of any width: their invariant text is the JSON text.
            sb.Append(value.ToJsonString());
        }
    }

    /// <summary>Writes a JSON string with <c>ensure_ascii</c> escaping.</summary>
    internal static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        // Surrogate pairs come out as two \uXXXX escapes, as CPython writes them.
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
