using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary>
/// CLR values &lt;-&gt; JSON values as kombu 5.2 writes them: aware datetimes as ISO text with <c>Z</c>,
/// naive ones without offset, decimals and UUIDs as strings. Numbers and booleans are also read from strings,
/// so that a Python peer's textual forms bind to typed parameters.
/// </summary>
public static class KombuValues
{
    /// <summary>The serializer options every task argument and result goes through.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Converts a CLR value to a JSON node.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), Options),
    };

    /// <summary>Converts a JSON node to a CLR value of <paramref name="type"/>.</summary>
    /// <exception cref="JsonException">The value does not fit the type.</exception>
    public static object? FromNode(JsonNode? node, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type == typeof(JsonNode) || type == typeof(object))
        {
            return node?.DeepClone();
        }

        return node is null ? null : node.Deserialize(type, Options);
    }

    /// <summary>Converts a JSON node to <typeparamref name="T"/>.</summary>
    /// <exception cref="JsonException">The value does not fit the type.</exception>
    public static T? FromNode<T>(JsonNode? node) => (T?)FromNode(node, typeof(T));

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
            PropertyNamingPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            RespectNullableAnnotations = false,
        };
        options.Converters.Add(new KombuDateTimeConverter());
        options.Converters.Add(new KombuDateTimeOffsetConverter());
        options.Converters.Add(new KombuDecimalConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
