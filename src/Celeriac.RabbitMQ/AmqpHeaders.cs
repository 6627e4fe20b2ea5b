using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>
/// JSON header values ⇄ AMQP field-table values, chosen so that py-amqp reads back what Python itself would have
/// written (Celery §6.2): strings as long strings <c>S</c> (never <c>x</c>, which Python reads as bytes), null as
/// <c>V</c>, booleans <c>t</c>, integers as 32-bit <c>I</c> when they fit and 64-bit otherwise, floats <c>d</c>, objects
/// as tables <c>F</c>, lists as arrays <c>A</c>. Reading accepts every type py-amqp and RabbitMQ write.
/// Source: amqp/serialization.py (_write_item, _read_item).
/// </summary>
internal static class AmqpHeaders
{
    /// <summary>A header table for RabbitMQ.Client, or null when there are no headers.</summary>
    public static Dictionary<string, object?>? ToTable(JsonObject? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var table = new Dictionary<string, object?>(headers.Count, StringComparer.Ordinal);
        foreach (var (key, value) in headers)
        {
            table[key] = ToField(value);
        }

        return table;
    }

    /// <summary>One field value: see the type rules above.</summary>
    public static object? ToField(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var table = new Dictionary<string, object?>(obj.Count, StringComparer.Ordinal);
                foreach (var (key, value) in obj)
                {
                    table[key] = ToField(value);
                }

                return table;
            case JsonArray array:
                var list = new List<object?>(array.Count);
                foreach (var item in array)
                {
                    list.Add(ToField(item));
                }

                return list;
            case JsonValue value:
                return FromValue(value);
            default:
                throw new ArgumentException($"unsupported JSON node {node.GetType().Name}", nameof(node));
        }
    }

    /// <summary>Headers as JSON; an absent table is an empty object.</summary>
    public static JsonObject FromTable(IDictionary<string, object?>? table)
    {
        var headers = new JsonObject();
        if (table is null)
        {
            return headers;
        }

        foreach (var (key, value) in table)
        {
            headers[key] = FromField(value);
        }

        return headers;
    }

    /// <summary>One field value as JSON.</summary>
    public static JsonNode? FromField(object? value) => value switch
    {
        null => null,

        // RabbitMQ.Client surfaces long strings (S) as bytes: Celery's headers are text.
        byte[] bytes => JsonValue.Create(Utf8(bytes)),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        uint u => JsonValue.Create(u),
        ulong ul => JsonValue.Create(ul),
        short sh => JsonValue.Create(sh),
        ushort us => JsonValue.Create(us),
        sbyte sb => JsonValue.Create(sb),
        byte by => JsonValue.Create(by),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        decimal m => JsonValue.Create(m),

        // py-amqp reads T as a naive UTC datetime; kombu's JSON would have written it as ISO text.
        AmqpTimestamp ts => JsonValue.Create(DateTimeOffset.FromUnixTimeSeconds(ts.UnixTime).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
        BinaryTableValue binary => JsonValue.Create(Utf8(binary.Bytes)),
        IDictionary<string, object?> dict => FromTable(dict),
        IDictionary dict => FromTable(dict.Keys.Cast<object>().ToDictionary(k => k.ToString() ?? string.Empty, k => dict[k])),
        IEnumerable list => FromList(list),
        _ => JsonValue.Create(value.ToString()),
    };

    private static JsonArray FromList(IEnumerable list)
    {
        var array = new JsonArray();
        foreach (var item in list)
        {
            array.Add(FromField(item));
        }

        return array;
    }

    private static object? FromValue(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return value.TryGetValue<string>(out var s) ? s : value.Deserialize<string>();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                return FromNumber(value);
            default:
                return null;
        }
    }

    /// <summary>
    /// py-amqp's rule: ints within ±2147483647 are <c>I</c> (signed 32-bit), wider ones 64-bit; a number with a
    /// fraction or exponent is a float (<c>d</c>).
    /// </summary>
    private static object FromNumber(JsonValue value)
    {
        if (value.TryGetValue<int>(out var i))
        {
            return i == int.MinValue ? (object)(long)i : i;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return Narrow(l);
        }

        if (value.TryGetValue<double>(out var d))
        {
            return d;
        }

        var element = value.TryGetValue<JsonElement>(out var e) ? e : JsonSerializer.SerializeToElement(value);
        return element.TryGetInt64(out l) ? Narrow(l) : element.GetDouble();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Boxes an int or a long on purpose: RabbitMQ.Client picks the field type (I or l) from the boxed type.")]
    private static object Narrow(long l)
    {
        if (l is >= -2147483647 and <= int.MaxValue)
        {
            return (int)l;
        }

        return l;
    }

    private static string Utf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            // py-amqp keeps undecodable S values as bytes; JSON has no bytes, so keep them readable as Latin-1.
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
