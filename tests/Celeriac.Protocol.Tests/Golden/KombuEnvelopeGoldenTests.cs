using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests.Golden;

/// <summary>
/// Every kombu envelope Python wrote, whatever it carries (tasks, beat sends, events, pidbox requests and replies):
/// decode and re-encode it to the same bytes, and the body's JSON through kombu JSON to the same bytes.
/// Event and pidbox bodies hold real Python floats (timestamps, loadavg, expires), so this also pins float repr.
/// </summary>
public sealed class KombuEnvelopeGoldenTests
{
    public static TheoryData<string> EnvelopeFixtures() =>
    [
        .. Fixtures.RawFiles("redis/messages"),
        .. Fixtures.RawFiles("redis/beat"),
        .. Fixtures.RawFiles("redis/events"),
        .. Fixtures.RawFiles("redis/control"),
    ];

    [Fact]
    public void Every_envelope_capture_is_enumerated() => Assert.Equal(24 + 2 + 10 + 13, EnvelopeFixtures().Count);

    [Theory]
    [MemberData(nameof(EnvelopeFixtures))]
    public void Envelope_reencodes_to_the_captured_bytes(string fixture)
    {
        var raw = Fixtures.ReadBytes(fixture);
        var envelope = KombuEnvelope.Decode(raw);
        Assert.Equal(Encoding.ASCII.GetString(raw), Encoding.ASCII.GetString(envelope.Encode()));
    }

    [Theory]
    [MemberData(nameof(EnvelopeFixtures))]
    public void Body_round_trips_through_kombu_json(string fixture)
    {
        var envelope = KombuEnvelope.Decode(Fixtures.ReadBytes(fixture));
        var body = envelope.Message.Body.Span;
        Assert.Equal(Encoding.ASCII.GetString(body), KombuJson.SerializeToString(KombuJson.Parse(body)));
    }

    [Theory]
    [MemberData(nameof(EnvelopeFixtures))]
    public void Decoded_envelope_matches_the_captured_view(string fixture)
    {
        var view = Fixtures.ReadView(fixture);
        var captured = view["envelope"]!.AsObject();
        var envelope = KombuEnvelope.Decode(Fixtures.ReadBytes(fixture));

        TestJson.Equal(captured["headers"], envelope.Message.Headers);

        // The views of events 04 and 05 shortened the capture machine's path in tracebacks to "shared/...";
        // the .raw bytes, which the other theories compare byte for byte, hold what Python really sent.
        var body = Encoding.UTF8.GetString(envelope.Message.Body.Span).Replace("/work/steering/shared/", "shared/", StringComparison.Ordinal);
        TestJson.Equal(captured["_decoded_body"], JsonNode.Parse(body));
        Assert.Equal((string?)captured["content-type"], envelope.Message.ContentType);
        var info = captured["properties"]!["delivery_info"]!;
        Assert.Equal((string?)info["exchange"], envelope.Exchange);
        Assert.Equal((string?)info["routing_key"], envelope.RoutingKey);
        Assert.Equal((string?)captured["properties"]!["delivery_tag"], envelope.DeliveryTag);
    }
}
