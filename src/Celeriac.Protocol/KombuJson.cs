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

    /// <summary>Serializes <paramref name="node"/> as Python's <c>json.dumps</c> would. The bytes are ASCII.</summary>
    public static byte[] Serialize(JsonNode? node)
    {
        using var writer = new PythonJsonWriter();
        writer.Node(node);
        return writer.ToArray();
    }

    /// <summary>Serializes <paramref name="node"/> as Python's <c>json.dumps</c> would, as text.</summary>
    public static string SerializeToString(JsonNode? node)
    {
        using var writer = new PythonJsonWriter();
        writer.Node(node);
        return writer.ToAsciiString();
    }

    /// <summary>
    /// Parses JSON text, turning kombu 5.3+ typed envelopes (<c>{"__type__": ..., "__value__": ...}</c>) into
    /// the plain values kombu 5.2 would have written, so that 5.2 and 5.3+ peers read the same.
    /// </summary>
    /// <exception cref="MessageDecodeException">The bytes are not JSON, or a typed envelope is unknown or malformed.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8) => Parse(utf8, "body");

    /// <summary>As <see cref="Parse(ReadOnlySpan{byte})"/>; <paramref name="what"/> names the input in error messages.</summary>
    internal static JsonNode? Parse(ReadOnlySpan<byte> utf8, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8, NodeOptions, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new MessageDecodeException($"{what} is not valid JSON: {ex.Message}", ex);
        }

        return TypedEnvelopes.MayContain(utf8) ? TypedEnvelopes.Unwrap(node) : node;
    }
}
