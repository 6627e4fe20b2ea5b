using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>
/// The content-header properties of a message, written exactly as py-amqp writes them, so that a Python peer (and a
/// byte comparison with the captured fixtures) sees Celery's own bytes: the property flags, then content type,
/// content encoding, the headers table (always present, as kombu always passes a dict), delivery mode, priority
/// (<c>0</c> included: RabbitMQ.Client's own properties cannot send a zero priority), correlation id, reply-to and
/// expiration. Table values follow py-amqp's <c>_write_item</c>: str → <c>S</c>, bool → <c>t</c>, float → <c>d</c>,
/// int → <c>I</c> within ±2147483647 else <c>L</c> (signed 64-bit; RabbitMQ.Client would write <c>l</c>, which py-amqp
/// reads as unsigned), dict → <c>F</c>, list → <c>A</c>, None → <c>V</c>.
/// Source: amqp/serialization.py (_write_table, _write_item, GenericContent._serialize_properties), AMQP 0-9-1 §4.2.6.
/// </summary>
internal sealed class PyAmqpProperties : IReadOnlyBasicProperties, IAmqpHeader
{
    private const ushort ContentTypeFlag = 1 << 15;
    private const ushort ContentEncodingFlag = 1 << 14;
    private const ushort HeadersFlag = 1 << 13;
    private const ushort DeliveryModeFlag = 1 << 12;
    private const ushort PriorityFlag = 1 << 11;
    private const ushort CorrelationIdFlag = 1 << 10;
    private const ushort ReplyToFlag = 1 << 9;
    private const ushort ExpirationFlag = 1 << 8;

    private readonly byte[] _encoded;
    private readonly TransportMessage _message;

    public PyAmqpProperties(TransportMessage message)
    {
        _message = message;
        _encoded = Encode(message);
    }

    /// <summary>The property flags and values, as they follow class id, weight and body size in the content header.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    public ushort ProtocolClassId => 60;

    public string? AppId => null;

    public string? ClusterId => null;

    public string? ContentEncoding => _message.ContentEncoding;

    public string? ContentType => _message.ContentType;

    public string? CorrelationId => _message.Properties.CorrelationId;

    public DeliveryModes DeliveryMode => _message.Properties.DeliveryMode == 2 ? DeliveryModes.Persistent : DeliveryModes.Transient;

    public string? Expiration => _message.Properties.Expiration;

    public IDictionary<string, object?>? Headers => AmqpHeaders.ToTable(_message.Headers);

    public string? MessageId => null;

    public bool Persistent => _message.Properties.DeliveryMode == 2;

    public byte Priority => (byte)Math.Clamp(_message.Properties.Priority ?? 0, 0, 255);

    public string? ReplyTo => _message.Properties.ReplyTo;

    public PublicationAddress? ReplyToAddress => null;

    public AmqpTimestamp Timestamp => default;

    public string? Type => null;

    public string? UserId => null;

    public int GetRequiredBufferSize() => _encoded.Length;

    public int WriteTo(Span<byte> span)
    {
        _encoded.CopyTo(span);
        return _encoded.Length;
    }

    public bool IsAppIdPresent() => false;

    public bool IsClusterIdPresent() => false;

    public bool IsContentEncodingPresent() => true;

    public bool IsContentTypePresent() => true;

    public bool IsCorrelationIdPresent() => _message.Properties.CorrelationId is not null;

    public bool IsDeliveryModePresent() => _message.Properties.DeliveryMode is not null;

    public bool IsExpirationPresent() => _message.Properties.Expiration is not null;

    public bool IsHeadersPresent() => true;

    public bool IsMessageIdPresent() => false;

    public bool IsPriorityPresent() => _message.Properties.Priority is not null;

    public bool IsReplyToPresent() => _message.Properties.ReplyTo is not null;

    public bool IsTimestampPresent() => false;

    public bool IsTypePresent() => false;

    public bool IsUserIdPresent() => false;

    /// <summary>Encodes the flags and the properties present.</summary>
    public static byte[] Encode(TransportMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var p = message.Properties;
        var w = new ArrayBufferWriter<byte>(256);
        var flags = (ushort)(ContentTypeFlag | ContentEncodingFlag | HeadersFlag);
        flags |= p.DeliveryMode is null ? (ushort)0 : DeliveryModeFlag;
        flags |= p.Priority is null ? (ushort)0 : PriorityFlag;
        flags |= p.CorrelationId is null ? (ushort)0 : CorrelationIdFlag;
        flags |= p.ReplyTo is null ? (ushort)0 : ReplyToFlag;
        flags |= p.Expiration is null ? (ushort)0 : ExpirationFlag;
        WriteUInt16(w, flags);
        WriteShortString(w, message.ContentType);
        WriteShortString(w, message.ContentEncoding);
        WriteTable(w, message.Headers);
        if (p.DeliveryMode is { } mode)
        {
            WriteByte(w, (byte)mode);
        }

        if (p.Priority is { } priority)
        {
            WriteByte(w, (byte)Math.Clamp(priority, 0, 255));
        }

        if (p.CorrelationId is { } correlationId)
        {
            WriteShortString(w, correlationId);
        }

        if (p.ReplyTo is { } replyTo)
        {
            WriteShortString(w, replyTo);
        }

        if (p.Expiration is { } expiration)
        {
            WriteShortString(w, expiration);
        }

        return w.WrittenSpan.ToArray();
    }

    private static void WriteTable(ArrayBufferWriter<byte> w, JsonObject table)
    {
        var body = new ArrayBufferWriter<byte>(256);
        foreach (var (key, value) in table)
        {
            WriteShortString(body, key);
            WriteItem(body, value);
        }

        WriteUInt32(w, (uint)body.WrittenCount);
        w.Write(body.WrittenSpan);
    }

    private static void WriteItem(ArrayBufferWriter<byte> w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                WriteByte(w, (byte)'V');
                return;
            case JsonObject obj:
                WriteByte(w, (byte)'F');
                WriteTable(w, obj);
                return;
            case JsonArray array:
                WriteByte(w, (byte)'A');
                var items = new ArrayBufferWriter<byte>(64);
                foreach (var item in array)
                {
                    WriteItem(items, item);
                }

                WriteUInt32(w, (uint)items.WrittenCount);
                w.Write(items.WrittenSpan);
                return;
        }

        switch (AmqpHeaders.ToField(node))
        {
            case null:
                WriteByte(w, (byte)'V');
                break;
            case string s:
                WriteByte(w, (byte)'S');
                var bytes = Encoding.UTF8.GetBytes(s);
                WriteUInt32(w, (uint)bytes.Length);
                w.Write(bytes);
                break;
            case bool b:
                WriteByte(w, (byte)'t');
                WriteByte(w, b ? (byte)1 : (byte)0);
                break;
            case int i:
                WriteByte(w, (byte)'I');
                BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), i);
                w.Advance(4);
                break;
            case long l:
                WriteByte(w, (byte)'L');
                BinaryPrimitives.WriteInt64BigEndian(w.GetSpan(8), l);
                w.Advance(8);
                break;
            case double d:
                WriteByte(w, (byte)'d');
                BinaryPrimitives.WriteDoubleBigEndian(w.GetSpan(8), d);
                w.Advance(8);
                break;
            default:
                throw new JsonException($"header value {node.ToJsonString()} has no AMQP field type");
        }
    }

    private static void WriteShortString(ArrayBufferWriter<byte> w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > 255)
        {
            throw new ArgumentException($"'{value[..Math.Min(value.Length, 40)]}...' is longer than the 255 bytes an AMQP short string holds", nameof(value));
        }

        WriteByte(w, (byte)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteByte(ArrayBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    private static void WriteUInt16(ArrayBufferWriter<byte> w, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), value);
        w.Advance(2);
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> w, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), value);
        w.Advance(4);
    }
}
