using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.RabbitMQ;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// What goes on the wire, against the bytes py-amqp sent for Python Celery 5.2.6 (fixtures <c>rabbitmq/messages</c>,
/// captured by a recording proxy): a captured task message, decoded by our codec and encoded again, gives the very
/// content-header bytes Python wrote — property flags, header table with its field types, priority 0, correlation id,
/// reply-to, expiration — and the very body.
/// </summary>
public sealed class PyAmqpWireTests
{
    [Theory]
    [InlineData("01-add-delay.1")]
    [InlineData("02-eta-expires.1")]
    [InlineData("03-priority-5.1")]
    [InlineData("08-big-int-and-time-limits.1")]
    public void A_captured_task_message_re_encodes_to_the_content_header_and_body_py_amqp_sent(string name)
    {
        var frames = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".publish-frames.bin"));
        var (header, body) = ContentOf(frames);
        var captured = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json")))!;
        var props = captured["basic_get"]!["properties"]!;
        var received = new TransportMessage
        {
            Body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".body.raw")),
            ContentType = (string)props["content_type"]!,
            ContentEncoding = (string)props["content_encoding"]!,
            Headers = props["application_headers"]!.DeepClone().AsObject(),
            Properties = new MessageProperties
            {
                CorrelationId = (string?)props["correlation_id"],
                ReplyTo = (string?)props["reply_to"],
                DeliveryMode = (int?)props["delivery_mode"],
                Priority = (int?)props["priority"],
                Expiration = (string?)props["expiration"],
            },
        };

        var reencoded = TaskMessageCodec.Encode(TaskMessageCodec.Decode(received));

        Assert.Equal(Convert.ToHexString(header[12..]), Convert.ToHexString(PyAmqpProperties.Encode(reencoded)));
        Assert.Equal(body, reencoded.Body.ToArray());
    }

    [Fact]
    public void Header_values_take_py_amqps_field_types()
    {
        var message = new TransportMessage
        {
            Body = Array.Empty<byte>(),
            Headers = new JsonObject
            {
                ["s"] = "h\u00e9",
                ["n"] = null,
                ["i"] = 7,
                ["neg"] = -2147483647,
                ["min"] = -2147483648L,
                ["big"] = 1L << 40,
                ["f"] = 2.0,
                ["t"] = true,
                ["a"] = new JsonArray(1, null),
                ["o"] = new JsonObject { ["k"] = "v" },
            },
        };

        var encoded = PyAmqpProperties.Encode(message);

        // flags (content type, encoding, headers), two short strings, then the table.
        var table = encoded.AsSpan(2 + 1 + "application/json".Length + 1 + "utf-8".Length + 4);
        Assert.Equal(
            "0173" + "53" + "00000003" + "68C3A9" +
            "016E" + "56" +
            "0169" + "49" + "00000007" +
            "036E6567" + "49" + "80000001" +
            "036D696E" + "4C" + "FFFFFFFF80000000" +
            "03626967" + "4C" + "0000010000000000" +
            "0166" + "64" + "4000000000000000" +
            "0174" + "74" + "01" +
            "0161" + "41" + "00000006" + "4900000001" + "56" +
            "016F" + "46" + "00000008" + "016B" + "53" + "00000001" + "76",
            Convert.ToHexString(table));
    }

    /// <summary>The content-header payload and the body of a captured publish (method, header and body frames).</summary>
    private static (byte[] Header, byte[] Body) ContentOf(byte[] frames)
    {
        byte[]? header = null;
        var body = new List<byte>();
        for (var at = 0; at < frames.Length;)
        {
            var type = frames[at];
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(frames.AsSpan(at + 3));
            var payload = frames.AsSpan(at + 7, size).ToArray();
            if (type == 2)
            {
                header = payload;
            }
            else if (type == 3)
            {
                body.AddRange(payload);
            }

            at += 7 + size + 1;
        }

        return (header ?? throw new InvalidDataException("no content header frame"), [.. body]);
    }
}
