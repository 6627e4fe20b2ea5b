using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary>
/// CLR values &lt;-&gt; JSON values as kombu 5.2 writes them: aware datetimes as ISO text with <c>Z</c>,
/// naive ones without offset, dates as midnight datetimes, times as <c>HH:MM:SS[.ffffff]</c>, decimals and UUIDs
/// as strings. Numbers are also read from strings, so that a Python peer's textual forms bind to typed parameters.
/// Source: kombu/utils/json.py (JSONEncoder.default) at v5.2.4.
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

    /// <summary>kombu 5.2's text for a <c>datetime</c>: UTC kinds get <c>Z</c>, local ones are made UTC, unspecified stay naive.</summary>
    internal static string Format(DateTime value)
    {
        var text = WireTime.FormatNaive(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value);
        return value.Kind == DateTimeKind.Unspecified ? text : text + "Z";
    }

    /// <summary>kombu 5.2's text for an aware <c>datetime</c>: <c>isoformat()</c> with <c>+00:00</c> written as <c>Z</c>.</summary>
    internal static string Format(DateTimeOffset value) =>
        value.Offset == TimeSpan.Zero ? WireTime.FormatNaive(value.DateTime) + "Z" : WireTime.FormatAware(value);

    /// <summary>kombu 5.2's text for a <c>date</c>: the midnight datetime.</summary>
    internal static string Format(DateOnly value) => WireTime.FormatNaive(value.ToDateTime(TimeOnly.MinValue));

    /// <summary>Python's <c>time.isoformat()</c>: <c>HH:MM:SS</c>, plus <c>.ffffff</c> when there are microseconds.</summary>
    internal static string Format(TimeOnly value)
    {
        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        var text = value.ToString("HH':'mm':'ss", CultureInfo.InvariantCulture);
        return micro == 0 ? text : text + "." + micro.ToString("000000", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The text of a string-kind <see cref="JsonValue"/>, whatever CLR value backs it: a value built with
    /// <c>JsonValue.Create(DateTime)</c> is written as kombu would write the DateTime, not in System.Text.Json's form.
    /// </summary>
    internal static string TextOf(JsonValue value)
    {
        if (value.TryGetValue<string>(out var text))
        {
            return text;
        }

        if (value.TryGetValue<JsonElement>(out var element) && element.ValueKind == JsonValueKind.String)
        {
            return element.GetString()!;
        }

        if (value.TryGetValue<DateTime>(out var dateTime))
        {
            return Format(dateTime);
        }

        if (value.TryGetValue<DateTimeOffset>(out var dateTimeOffset))
        {
            return Format(dateTimeOffset);
        }

        if (value.TryGetValue<DateOnly>(out var date))
        {
            return Format(date);
        }

        if (value.TryGetValue<TimeOnly>(out var time))
        {
            return Format(time);
        }

        if (value.TryGetValue<Guid>(out var guid))
        {
            return guid.ToString("D");
        }

        // char, enums with a string converter, ...: System.Text.Json's own text.
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.GetString() ?? string.Empty;
    }

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
        options.Converters.Add(new KombuDateOnlyConverter());
        options.Converters.Add(new KombuTimeOnlyConverter());
        options.Converters.Add(new KombuDecimalConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
