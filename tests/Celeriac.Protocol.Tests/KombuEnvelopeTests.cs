using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class KombuEnvelopeTests
{
    private const string Id = "0f2a912d-9413-4c63-bb26-771eef09ff36";

    [Fact]
    public void Minimal_message_a_52_worker_accepts_decodes()
    {
        // Celery §2.6 (E6): only task and id headers, base64 body with an empty embed.
        var body = Convert.ToBase64String("[[2,3],{},{}]"u8);
        var raw = "{\"body\":\"" + body + "\",\"content-type\":\"application/json\",\"content-encoding\":\"utf-8\"," +
            "\"headers\":{\"task\":\"tasks.add\",\"id\":\"" + Id + "\"}," +
            "\"properties\":{\"delivery_tag\":\"tag-1\",\"body_encoding\":\"base64\",\"delivery_info\":{\"exchange\":\"\",\"routing_key\":\"celery\"}}}";

        var envelope = KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw));
        var message = TaskMessageCodec.Decode(envelope.Message);

        Assert.Equal("tag-1", envelope.DeliveryTag);
        Assert.Equal(string.Empty, envelope.Exchange);
        Assert.Equal("celery", envelope.RoutingKey);
        Assert.Equal("tasks.add", message.Headers.Task);
        TestJson.Equal(new JsonArray(2, 3), message.Args);
        Assert.Null(message.Properties.Priority);
        Assert.Null(message.Properties.Extra);
    }

    [Fact]
    public void Body_without_body_encoding_is_raw_json_text()
    {
        var raw = "{\"body\": \"[[\\\"h\\u00e9\\\"], {}, {}]\", \"content-type\": \"application/json\", \"content-encoding\": \"utf-8\", " +
            "\"headers\": {\"task\": \"tasks.echo\", \"id\": \"" + Id + "\"}, " +
            "\"properties\": {\"delivery_tag\": \"t\", \"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"celery\"}}}";

        var envelope = KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw));

        Assert.Equal("[[\"hé\"], {}, {}]", Encoding.UTF8.GetString(envelope.Message.Body.Span));
        Assert.Equal("hé", (string?)TaskMessageCodec.Decode(envelope.Message).Args[0]);
    }

    [Fact]
    public void Invalid_base64_is_a_decode_error_carrying_the_task_id()
    {
        var raw = "{\"body\": \"!!not base64!!\", \"content-type\": \"application/json\", \"headers\": {\"task\": \"t\", \"id\": \"" + Id + "\"}, " +
            "\"properties\": {\"body_encoding\": \"base64\", \"delivery_tag\": \"t\"}}";

        var ex = Assert.Throws<MessageDecodeException>(() => KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw)));
        Assert.Contains("base64", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Id, ex.TaskId);
        Assert.Equal("t", ex.TaskName);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Envelope_that_is_not_a_json_object_is_a_decode_error(string raw) =>
        Assert.Throws<MessageDecodeException>(() => KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw)));

    [Fact]
    public void Redelivered_flag_is_read_from_headers_or_delivery_info_and_written_to_both()
    {
        var message = new TransportMessage { Body = "[[], {}, {}]"u8.ToArray(), Headers = new JsonObject { ["task"] = "t", ["id"] = Id } };
        var bytes = new KombuEnvelope(message, string.Empty, "celery", "tag", Redelivered: true).Encode();
        var json = JsonNode.Parse(bytes)!;
        Assert.True((bool)json["headers"]!["redelivered"]!);
        Assert.True((bool)json["properties"]!["delivery_info"]!["redelivered"]!);
        Assert.False(message.Headers.ContainsKey("redelivered"));

        Assert.True(KombuEnvelope.Decode(bytes).Redelivered);
        json["headers"]!.AsObject().Remove("redelivered");
        Assert.True(KombuEnvelope.Decode(Encoding.UTF8.GetBytes(json.ToJsonString())).Redelivered);
        json["properties"]!["delivery_info"]!.AsObject().Remove("redelivered");
        Assert.False(KombuEnvelope.Decode(Encoding.UTF8.GetBytes(json.ToJsonString())).Redelivered);
    }

    [Fact]
    public void Unknown_properties_are_kept_and_written_back()
    {
        // Celery 5.2 leaks apply_async options such as replaced_task_nesting into the properties on Redis.
        var raw = "{\"body\": \"W10=\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": {}, " +
            "\"properties\": {\"correlation_id\": \"c\", \"reply_to\": \"r\", \"delivery_mode\": 2, \"replaced_task_nesting\": 1, " +
            "\"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"celery\"}, \"priority\": 0, \"body_encoding\": \"base64\", \"delivery_tag\": \"t\"}}";

        var envelope = KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw));

        Assert.Equal(1, (int)envelope.Message.Properties.Extra!["replaced_task_nesting"]!);
        Assert.Equal(raw, Encoding.ASCII.GetString(envelope.Encode()));
    }

    [Fact]
    public void Compact_json_is_accepted()
    {
        var body = Convert.ToBase64String("[[],{},{}]"u8);
        var raw = "{\"body\":\"" + body + "\",\"content-type\":\"application/json\",\"headers\":{\"task\":\"t\",\"id\":\"i\"},\"properties\":{\"body_encoding\":\"base64\",\"priority\":3,\"delivery_mode\":1,\"expiration\":\"60000\"}}";
        var envelope = KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw));
        Assert.Equal(3, envelope.Message.Properties.Priority);
        Assert.Equal(1, envelope.Message.Properties.DeliveryMode);
        Assert.Equal("60000", envelope.Message.Properties.Expiration);
        Assert.Equal(ContentTypes.Utf8Encoding, envelope.Message.ContentEncoding);
        Assert.Equal(string.Empty, envelope.DeliveryTag);
    }

    [Fact]
    public void Kombu_53_typed_values_in_headers_are_unwrapped()
    {
        var raw = "{\"body\": \"W10=\", \"content-type\": \"application/json\", \"headers\": {\"x-when\": {\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05+00:00\"}}, \"properties\": {\"body_encoding\": \"base64\"}}";
        var envelope = KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw));
        Assert.Equal("2024-01-02T03:04:05Z", (string?)envelope.Message.Headers["x-when"]);
    }

    [Fact]
    public void Encode_writes_kombu_key_order_and_base64_body()
    {
        var message = new TransportMessage
        {
            Body = "[[2, 3], {}, {}]"u8.ToArray(),
            Headers = new JsonObject { ["task"] = "t", ["id"] = Id },
            Properties = new MessageProperties { CorrelationId = Id, ReplyTo = "oid", DeliveryMode = 2, Expiration = "1000", Priority = 9 },
        };

        var text = Encoding.ASCII.GetString(new KombuEnvelope(message, string.Empty, "celery", "tag").Encode());

        Assert.Equal(
            "{\"body\": \"" + Convert.ToBase64String(message.Body.Span) + "\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", " +
            "\"headers\": {\"task\": \"t\", \"id\": \"" + Id + "\"}, \"properties\": {\"correlation_id\": \"" + Id + "\", \"reply_to\": \"oid\", " +
            "\"delivery_mode\": 2, \"expiration\": \"1000\", \"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"celery\"}, " +
            "\"priority\": 9, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag\"}}",
            text);
    }

    [Fact]
    public void ToJson_does_not_share_nodes_with_the_message()
    {
        var message = new TransportMessage { Body = "[]"u8.ToArray(), Headers = new JsonObject { ["x"] = new JsonArray(1) } };
        var json = new KombuEnvelope(message, string.Empty, "q", "t").ToJson();
        json["headers"]!["x"]!.AsArray().Add(2);
        Assert.Single(message.Headers["x"]!.AsArray());
    }

    [Fact]
    public void Decoded_header_values_convert_to_any_fitting_clr_type()
    {
        // Code reading custom headers relies on GetValue<T> converting like a parsed document does.
        var envelope = KombuEnvelope.Decode(Fixtures.ReadBytes("redis/messages/16-time-limits.raw"));
        var headers = envelope.Message.Headers;
        Assert.Equal(0, headers["retries"]!.GetValue<int>());
        Assert.Equal(30L, headers["timelimit"]![0]!.GetValue<long>());
        Assert.Equal(20.0, headers["timelimit"]![1]!.GetValue<double>());
        Assert.Equal(Guid.Parse((string)headers["id"]!), headers["id"]!.GetValue<Guid>());
    }

    [Fact]
    public void Base64_with_escapes_or_line_breaks_is_still_decoded()
    {
        var raw = "{\"body\": \"W1tdLCB7\\nfSwge31d\", \"content-type\": \"application/json\", \"headers\": {}, \"properties\": {\"body_encoding\": \"base64\"}}";
        Assert.Equal("[[], {}, {}]", Encoding.UTF8.GetString(KombuEnvelope.Decode(Encoding.UTF8.GetBytes(raw)).Message.Body.Span));
    }
}
