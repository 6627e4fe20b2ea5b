using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests.Golden;

/// <summary>
/// Every task message Python Celery 5.2.6 LPUSHed onto a Redis queue (fixtures redis/messages/*.raw and
/// redis/beat/*.raw):
/// decode it, compare with the capture's decoded view, re-encode it and compare bytes.
/// </summary>
public sealed class TaskMessageGoldenTests
{
    private static readonly string[] PythonHeaderOrder =
    [
        "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit",
        "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result",
    ];

    private static readonly string[] EmbedKeys = ["callbacks", "errbacks", "chain", "chord"];

    /// <summary>Every task message capture: the client cases, and the two beat sends (beat's args are a list).</summary>
    public static TheoryData<string> MessageFixtures() => [.. Fixtures.RawFiles("redis/messages"), .. Fixtures.RawFiles("redis/beat")];

    [Fact]
    public void Every_captured_case_is_enumerated()
    {
        // 16 single-message cases plus 12-group x3, 13-chord x3 and 19-group-of-chains x2; 2 beat sends.
        Assert.Equal(24 + 2, MessageFixtures().Count);
    }

    [Theory]
    [MemberData(nameof(MessageFixtures))]
    public void Decoded_fields_match_the_captured_view(string fixture)
    {
        var raw = Fixtures.ReadBytes(fixture);
        var view = Fixtures.ReadView(fixture)["envelope"]!.AsObject();
        var viewHeaders = view["headers"]!.AsObject();
        var viewProps = view["properties"]!.AsObject();
        var viewBody = view["_decoded_body"]!.AsArray();

        var envelope = KombuEnvelope.Decode(raw);
        var message = TaskMessageCodec.Decode(envelope.Message);

        Assert.Equal(2, message.ProtocolVersion);
        Assert.Equal(ContentTypes.Json, envelope.Message.ContentType);
        Assert.Equal(ContentTypes.Utf8Encoding, envelope.Message.ContentEncoding);

        var h = message.Headers;
        Assert.Equal(Str(viewHeaders, "lang"), h.Lang);
        Assert.Equal(Str(viewHeaders, "task"), h.Task);
        Assert.Equal(Str(viewHeaders, "id"), h.Id);
        Assert.Equal(Str(viewHeaders, "shadow"), h.Shadow);
        Assert.Equal(Time(viewHeaders, "eta"), h.Eta);
        Assert.Equal(Time(viewHeaders, "expires"), h.Expires);
        Assert.Equal(Str(viewHeaders, "group"), h.Group);
        Assert.Equal((int?)viewHeaders["group_index"], h.GroupIndex);
        Assert.Equal((int)viewHeaders["retries"]!, h.Retries);
        var timelimit = viewHeaders["timelimit"]!.AsArray();
        Assert.Equal(new TimeLimit((double?)timelimit[0], (double?)timelimit[1]), h.TimeLimit);
        Assert.Equal(Str(viewHeaders, "root_id"), h.RootId);
        Assert.Equal(Str(viewHeaders, "parent_id"), h.ParentId);
        Assert.Equal(Str(viewHeaders, "argsrepr"), h.ArgsRepr);
        Assert.Equal(Str(viewHeaders, "kwargsrepr"), h.KwargsRepr);
        Assert.Equal(Str(viewHeaders, "origin"), h.Origin);
        Assert.Equal((bool)viewHeaders["ignore_result"]!, h.IgnoreResult);
        Assert.Null(h.ReplacedTaskNesting);

        // Whatever is not a named header (case 17's x-custom) is kept in Extra, with its value.
        var extraNames = viewHeaders.Select(p => p.Key).Except(PythonHeaderOrder).ToArray();
        Assert.Equal(extraNames, h.Extra.Select(p => p.Key).ToArray());
        foreach (var name in extraNames)
        {
            TestJson.Equal(viewHeaders[name], h.Extra[name]);
        }

        TestJson.Equal(viewBody[0], message.Args);
        TestJson.Equal(viewBody[1], message.Kwargs);
        var embed = viewBody[2]!.AsObject();
        TestJson.Equal(embed["callbacks"], message.Embed.Callbacks);
        TestJson.Equal(embed["errbacks"], message.Embed.Errbacks);
        TestJson.Equal(embed["chain"], message.Embed.Chain);
        TestJson.Equal(embed["chord"], message.Embed.Chord);

        var p = message.Properties;
        Assert.Equal(Str(viewProps, "correlation_id"), p.CorrelationId);
        Assert.Equal(Str(viewProps, "reply_to"), p.ReplyTo);
        Assert.Equal((int?)viewProps["delivery_mode"], p.DeliveryMode);
        Assert.Equal((int?)viewProps["priority"], p.Priority);
        Assert.Equal(Str(viewProps, "expiration"), p.Expiration);
        Assert.Null(p.Extra);

        var info = viewProps["delivery_info"]!.AsObject();
        Assert.Equal(Str(info, "exchange"), envelope.Exchange);
        Assert.Equal(Str(info, "routing_key"), envelope.RoutingKey);
        Assert.Equal(Str(viewProps, "delivery_tag"), envelope.DeliveryTag);
        Assert.False(envelope.Redelivered);
    }

    [Theory]
    [MemberData(nameof(MessageFixtures))]
    public void Reencoding_reproduces_the_captured_bytes(string fixture)
    {
        // Byte-exact for every case: Python's separators, ensure_ascii escapes, key order, and the
        // properties' order (correlation_id, reply_to, delivery_mode, [expiration], delivery_info,
        // priority, body_encoding, delivery_tag) are all reproduced, so nothing needs masking.
        var raw = Fixtures.ReadBytes(fixture);
        var envelope = KombuEnvelope.Decode(raw);
        var message = TaskMessageCodec.Decode(envelope.Message);

        var encoded = TaskMessageCodec.Encode(message);
        var bytes = new KombuEnvelope(encoded, envelope.Exchange, envelope.RoutingKey, envelope.DeliveryTag).Encode();

        Assert.Equal(Encoding.ASCII.GetString(envelope.Message.Body.Span), Encoding.ASCII.GetString(encoded.Body.Span));
        Assert.Equal(Encoding.ASCII.GetString(raw), Encoding.ASCII.GetString(bytes));
    }

    [Theory]
    [MemberData(nameof(MessageFixtures))]
    public void Reencoded_message_has_the_captured_shape(string fixture)
    {
        var raw = Fixtures.ReadBytes(fixture);
        var captured = JsonNode.Parse(raw)!.AsObject();
        var envelope = KombuEnvelope.Decode(raw);
        var encoded = TaskMessageCodec.Encode(TaskMessageCodec.Decode(envelope.Message));
        var ours = JsonNode.Parse(new KombuEnvelope(encoded, envelope.Exchange, envelope.RoutingKey, Guid.NewGuid().ToString()).Encode())!.AsObject();

        Assert.Equal(Keys(captured), Keys(ours));
        Assert.Equal(Keys(captured["headers"]!), Keys(ours["headers"]!));
        Assert.Equal(PythonHeaderOrder, Keys(ours["headers"]!).Take(PythonHeaderOrder.Length));
        Assert.Equal(Keys(captured["properties"]!), Keys(ours["properties"]!));
        Assert.Equal(Keys(captured["properties"]!["delivery_info"]!), Keys(ours["properties"]!["delivery_info"]!));

        var body = JsonNode.Parse(Convert.FromBase64String((string)ours["body"]!))!.AsArray();
        Assert.Equal(3, body.Count);
        Assert.IsType<JsonArray>(body[0]);
        Assert.IsType<JsonObject>(body[1]);
        Assert.Equal(EmbedKeys, Keys(body[2]!));
    }

    [Theory]
    [MemberData(nameof(MessageFixtures))]
    public void Reencoded_message_decodes_to_the_same_fields(string fixture)
    {
        var envelope = KombuEnvelope.Decode(Fixtures.ReadBytes(fixture));
        var first = TaskMessageCodec.Decode(envelope.Message);

        var bytes = new KombuEnvelope(TaskMessageCodec.Encode(first), envelope.Exchange, envelope.RoutingKey, envelope.DeliveryTag).Encode();
        var again = KombuEnvelope.Decode(bytes);
        var second = TaskMessageCodec.Decode(again.Message);

        TestJson.Equal(TestJson.Describe(first), TestJson.Describe(second));
        Assert.Equal(envelope.Exchange, again.Exchange);
        Assert.Equal(envelope.RoutingKey, again.RoutingKey);
        Assert.Equal(envelope.DeliveryTag, again.DeliveryTag);
    }

    private static string[] Keys(JsonNode node) => [.. node.AsObject().Select(p => p.Key)];

    private static string? Str(JsonObject obj, string key) => (string?)obj[key];

    private static DateTimeOffset? Time(JsonObject obj, string key) =>
        obj[key] is { } node ? DateTimeOffset.Parse((string)node!, System.Globalization.CultureInfo.InvariantCulture) : null;
}
