using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class PythonReprTests
{
    [Fact]
    public void Args_are_written_as_a_tuple()
    {
        Assert.Equal("()", PythonRepr.Args([]));
        Assert.Equal("(1,)", PythonRepr.Args([1]));
        Assert.Equal("(2, 3)", PythonRepr.Args([2, 3]));
    }

    [Fact]
    public void Mixed_args_match_fixture_06()
    {
        var args = new JsonArray(1, "two", 3.5, true, null, new JsonArray(1, 2), new JsonObject { ["a"] = 1 });
        Assert.Equal("(1, 'two', 3.5, True, None, [1, 2], {'a': 1})", PythonRepr.Args(args));
    }

    [Theory]
    [InlineData("it's", "\"it's\"")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("both ' and \"", "'both \\' and \"'")]
    [InlineData("tab\there\\", "'tab\\there\\\\'")]
    [InlineData("line\r\n", "'line\\r\\n'")]
    [InlineData("", "''")]
    public void Strings_use_the_quotes_and_escapes_Python_picks(string text, string expected) =>
        Assert.Equal(expected, PythonRepr.Of(JsonValue.Create(text)));

    [Fact]
    public void Printable_unicode_stays_unescaped_as_in_Python_3()
    {
        Assert.Equal("'héllo ☃ 😀'", PythonRepr.Of(JsonValue.Create("héllo ☃ 😀")));
        Assert.Equal("{'k': 'v', 'unicode': 'héllo ☃', 'n': None}", PythonRepr.Of(new JsonObject { ["k"] = "v", ["unicode"] = "héllo ☃", ["n"] = null }));
    }

    [Fact]
    public void Non_printable_characters_are_escaped_as_Python_does()
    {
        // repr('a\x00\x7f\x80\xa0\u200b\u2028') and repr('\U000e0001') in CPython 3.11.
        Assert.Equal("'a\\x00\\x7f\\x80\\xa0\\u200b\\u2028'", PythonRepr.Of(JsonValue.Create("a\0\u007f\u0080\u00a0\u200b\u2028")));
        Assert.Equal("'\\U000e0001'", PythonRepr.Of(JsonValue.Create("\U000e0001")));
        Assert.Equal("'\\ud800'", PythonRepr.Of(JsonValue.Create("\ud800")));
    }

    [Fact]
    public void None_True_False_and_containers()
    {
        Assert.Equal("None", PythonRepr.Of(null));
        Assert.Equal("True", PythonRepr.Of(JsonValue.Create(true)));
        Assert.Equal("False", PythonRepr.Of(JsonValue.Create(false)));
        Assert.Equal("{}", PythonRepr.Of(new JsonObject()));
        Assert.Equal("[]", PythonRepr.Of(new JsonArray()));
        Assert.Equal("{'k': 'v', 'n': None, 't': True}", PythonRepr.Of(new JsonObject { ["k"] = "v", ["n"] = null, ["t"] = true }));
        Assert.Equal("{'a': [1, [2]], 'b': {'c': 'd'}}", PythonRepr.Of(new JsonObject { ["a"] = new JsonArray(1, new JsonArray(2)), ["b"] = new JsonObject { ["c"] = "d" } }));
    }

    [Fact]
    public void Floats_print_as_Python_floats_whether_parsed_or_built()
    {
        Assert.Equal("[1.0, 2, 'x', 1e-05, 0.1]", PythonRepr.Of(new JsonArray(1.0, 2, "x", 1e-05, 0.1)));
        Assert.Equal("[1.0, 2, 100000.0]", PythonRepr.Of(KombuJson.Parse("[1.0, 2, 1e5]"u8)));
        Assert.Equal("[nan, inf, -inf]", PythonRepr.Of(new JsonArray(double.NaN, double.PositiveInfinity, double.NegativeInfinity)));
    }

    [Fact]
    public void Long_reprs_are_cut_to_the_header_limit()
    {
        var args = new JsonArray(new string('x', 5000));
        var repr = PythonRepr.Args(args);
        Assert.Equal(PythonRepr.MaxLength, repr.Length);
        Assert.EndsWith("...", repr, StringComparison.Ordinal);
        Assert.StartsWith("('xxx", repr, StringComparison.Ordinal);
    }

    // Client sends only: beat passes its args as a list, so its argsrepr is "[2, 3]" while the args decode alike.
    public static TheoryData<string> ClientMessageFixtures() => [.. Fixtures.RawFiles("redis/messages")];

    [Theory]
    [MemberData(nameof(ClientMessageFixtures))]
    public void Reprs_of_captured_args_match_the_headers_Python_wrote(string fixture)
    {
        var message = TaskMessageCodec.Decode(KombuEnvelope.Decode(Fixtures.ReadBytes(fixture)).Message);
        Assert.Equal(message.Headers.ArgsRepr, PythonRepr.Args(message.Args));
        Assert.Equal(message.Headers.KwargsRepr, PythonRepr.Of(message.Kwargs));
    }

    [Fact]
    public void Output_is_valid_text_for_every_utf16_input()
    {
        var repr = PythonRepr.Of(JsonValue.Create("\udc00 lone low surrogate"));
        Assert.Equal("'\\udc00 lone low surrogate'", repr);
        Assert.Equal(repr, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(repr)));
    }
}
