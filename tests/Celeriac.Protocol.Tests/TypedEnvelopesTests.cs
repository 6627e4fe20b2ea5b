using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

/// <summary>kombu 5.3+ writes <c>{"__type__": t, "__value__": v}</c>; we read the text kombu 5.2 would have written.</summary>
public sealed class TypedEnvelopesTests
{
    [Theory]
    [InlineData("{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05.000006+00:00\"}", "2024-01-02T03:04:05.000006Z")]
    [InlineData("{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05+01:00\"}", "2024-01-02T03:04:05+01:00")]
    [InlineData("{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05\"}", "2024-01-02T03:04:05")]
    [InlineData("{\"__type__\": \"date\", \"__value__\": \"2024-01-02\"}", "2024-01-02T00:00:00")]
    [InlineData("{\"__type__\": \"time\", \"__value__\": \"01:02:03\"}", "01:02:03")]
    [InlineData("{\"__type__\": \"decimal\", \"__value__\": \"1.50\"}", "1.50")]
    [InlineData("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"00000000000000000000000000000001\"}}", "00000000-0000-0000-0000-000000000001")]
    [InlineData("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"0f2a912d94134c63bb26771eef09ff36\", \"version\": 4}}", "0f2a912d-9413-4c63-bb26-771eef09ff36")]
    [InlineData("{\"__type__\": \"bytes\", \"__value__\": \"x\"}", "x")]
    [InlineData("{\"__type__\": \"base64\", \"__value__\": \"/w==\"}", "/w==")]
    public void Typed_value_reads_as_its_kombu_52_text(string json, string expected)
    {
        var node = KombuJson.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(expected, node!.GetValue<string>());
    }

    [Fact]
    public void Typed_values_are_unwrapped_anywhere_in_the_tree()
    {
        var node = KombuJson.Parse(
            "[[{\"__type__\": \"decimal\", \"__value__\": \"2.5\"}], {\"when\": {\"__type__\": \"date\", \"__value__\": \"2024-01-02\"}}, {}]"u8);
        Assert.Equal("[[\"2.5\"], {\"when\": \"2024-01-02T00:00:00\"}, {}]", KombuJson.SerializeToString(node));
    }

    [Fact]
    public void Objects_with_other_keys_are_left_alone()
    {
        const string json = "{\"__type__\": \"datetime\", \"__value__\": \"x\", \"other\": 1}";
        Assert.Equal(json, KombuJson.SerializeToString(KombuJson.Parse(Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void Unknown_type_is_refused()
    {
        var ex = Assert.Throws<MessageDecodeException>(() => KombuJson.Parse("{\"__type__\": \"frozenset\", \"__value__\": [1]}"u8));
        Assert.Contains("frozenset", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"__type__\": 1, \"__value__\": \"x\"}")]
    [InlineData("{\"__type__\": null, \"__value__\": \"x\"}")]
    [InlineData("{\"__type__\": \"datetime\", \"__value__\": 5}")]
    [InlineData("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"not-a-uuid\"}}")]
    [InlineData("{\"__type__\": \"uuid\", \"__value__\": [1]}")]
    public void Malformed_typed_value_is_a_decode_error(string json) =>
        Assert.Throws<MessageDecodeException>(() => KombuJson.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void A_typed_value_at_the_root_is_replaced()
    {
        var node = KombuJson.Parse("{\"__type__\": \"time\", \"__value__\": \"01:02:03.000004\"}"u8);
        Assert.IsAssignableFrom<JsonValue>(node);
        Assert.Equal("01:02:03.000004", (string)node!);
    }
}
