using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class KombuJsonTests
{
    [Fact]
    public void Non_ascii_text_is_escaped_as_ensure_ascii_does()
    {
        // json.dumps("h\u00e9llo \u2603") in Python, as in fixture 06-echo-mixed-args.
        Assert.Equal("\"h\\u00e9llo \\u2603\"", KombuJson.SerializeToString(JsonValue.Create("héllo ☃")));
    }

    [Fact]
    public void Astral_characters_are_written_as_surrogate_pair_escapes()
    {
        Assert.Equal("\"\\ud83d\\ude00\"", KombuJson.SerializeToString(JsonValue.Create("😀")));
    }

    [Fact]
    public void Control_characters_quotes_and_backslashes_are_escaped_as_Python_does()
    {
        var text = "\0\u0001\u001f\u007f\n\t\r\b\f\"\\/";
        Assert.Equal(
            "\"\\u0000\\u0001\\u001f\\u007f\\n\\t\\r\\b\\f\\\"\\\\/\"",
            KombuJson.SerializeToString(JsonValue.Create(text)));
    }

    [Fact]
    public void Nested_values_use_Python_separators()
    {
        var node = new JsonObject
        {
            ["s"] = "x",
            ["nested"] = new JsonArray(new JsonObject { ["a"] = new JsonArray(1, new JsonObject { ["b"] = null }) }, true, false),
            ["empty_list"] = new JsonArray(),
            ["empty_dict"] = new JsonObject(),
        };
        Assert.Equal(
            "{\"s\": \"x\", \"nested\": [{\"a\": [1, {\"b\": null}]}, true, false], \"empty_list\": [], \"empty_dict\": {}}",
            KombuJson.SerializeToString(node));
    }

    [Fact]
    public void Serialize_writes_ascii_bytes()
    {
        var bytes = KombuJson.Serialize(new JsonArray("é", 1));
        Assert.Equal("[\"\\u00e9\", 1]", Encoding.ASCII.GetString(bytes));
        Assert.All(bytes, b => Assert.True(b < 0x80));
    }

    [Fact]
    public void Null_serializes_as_null() => Assert.Equal("null", KombuJson.SerializeToString(null));

    [Theory]
    [InlineData("1.0", "1.0")]
    [InlineData("1e5", "100000.0")]
    [InlineData("1E-7", "1e-07")]
    [InlineData("1.0E2", "100.0")]
    [InlineData("0.5e0", "0.5")]
    [InlineData("10000000000000000000000", "10000000000000000000000")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "-0.0")]
    [InlineData("-17", "-17")]
    public void Parsed_numbers_are_rewritten_as_Python_would(string json, string expected)
    {
        // Python's json.loads turns these into int or float and json.dumps writes them back like this.
        Assert.Equal(expected, KombuJson.SerializeToString(KombuJson.Parse(Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void Clr_numbers_are_written_as_Python_would()
    {
        Assert.Equal("[1, 1.0, 0.1, 0.1, 1.50, 9223372036854775807, 18446744073709551615]", KombuJson.SerializeToString(new JsonArray(
            JsonValue.Create(1), JsonValue.Create(1.0), JsonValue.Create(0.1), JsonValue.Create(0.1f),
            JsonValue.Create(1.50m), JsonValue.Create(long.MaxValue), JsonValue.Create(ulong.MaxValue))));
    }

    [Fact]
    public void Parse_rejects_text_that_is_not_json()
    {
        var ex = Assert.Throws<MessageDecodeException>(() => KombuJson.Parse("{not json"u8));
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_then_serialize_reproduces_python_bytes()
    {
        const string python = "{\"status\": \"SUCCESS\", \"result\": {\"f\": 0.1, \"u\": \"h\\u00e9llo \\u2603\"}, \"children\": [[[\"a\", null], null]]}";
        Assert.Equal(python, KombuJson.SerializeToString(KombuJson.Parse(Encoding.ASCII.GetBytes(python))));
    }

    [Fact]
    public void Clr_dates_and_ids_in_nodes_are_written_as_kombu_52_writes_them()
    {
        var node = new JsonArray(
            JsonValue.Create(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(60)),
            JsonValue.Create(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified)),
            JsonValue.Create(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(1))),
            JsonValue.Create(new DateOnly(2024, 1, 2)),
            JsonValue.Create(new Guid("00000000-0000-0000-0000-000000000001")),
            JsonValue.Create('é'));
        Assert.Equal(
            "[\"2024-01-02T03:04:05.000006Z\", \"2024-01-02T03:04:05\", \"2024-01-02T03:04:05+01:00\", \"2024-01-02T00:00:00\", " +
            "\"00000000-0000-0000-0000-000000000001\", \"\\u00e9\"]",
            KombuJson.SerializeToString(node));
    }

    [Fact]
    public void Parsed_strings_are_re_escaped_the_Python_way()
    {
        // Other writers escape differently (upper-case hex, \/ , raw UTF-8); the output is always json.dumps's.
        var node = KombuJson.Parse(Encoding.UTF8.GetBytes("[\"\\u00E9\", \"a\\/b\", \"h\u00e9\", \"\\ud83d\\ude00\"]"));
        Assert.Equal("[\"\\u00e9\", \"a/b\", \"h\\u00e9\", \"\\ud83d\\ude00\"]", KombuJson.SerializeToString(node));
    }

    [Fact]
    public void Long_and_deeply_nested_values_are_written_whole()
    {
        var text = new string('x', 100_000) + "é";
        JsonNode node = new JsonArray(text);
        for (var i = 0; i < 100; i++)
        {
            node = new JsonObject { ["k"] = node };
        }

        var json = KombuJson.SerializeToString(node);
        Assert.EndsWith("\\u00e9\"]" + new string('}', 100), json, StringComparison.Ordinal);

        var back = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 200 })!;
        for (var i = 0; i < 100; i++)
        {
            back = back["k"]!;
        }

        Assert.Equal(text, (string?)back[0]);
    }

    [Fact]
    public void Float_literals_beyond_double_range_read_as_Python_infinity() =>
        Assert.Equal("[Infinity, -Infinity]", KombuJson.SerializeToString(KombuJson.Parse("[1e400, -1e400]"u8)));
}
