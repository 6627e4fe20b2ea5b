using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class KombuValuesTests
{
    [Fact]
    public void Utc_DateTime_is_written_with_Z()
    {
        var value = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(60);
        Assert.Equal("\"2024-01-02T03:04:05.000006Z\"", Json(value));
        Assert.Equal(value, RoundTrip(value));
        Assert.Equal(DateTimeKind.Utc, RoundTrip(value).Kind);
    }

    [Fact]
    public void Naive_DateTime_is_written_without_suffix()
    {
        var value = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified);
        Assert.Equal("\"2024-01-02T03:04:05\"", Json(value));
        Assert.Equal(value, RoundTrip(value));
        Assert.Equal(DateTimeKind.Unspecified, RoundTrip(value).Kind);
    }

    [Fact]
    public void DateTime_with_an_offset_reads_as_UTC() =>
        Assert.Equal(new DateTime(2024, 1, 2, 2, 4, 5, DateTimeKind.Utc), KombuValues.FromNode<DateTime>(JsonValue.Create("2024-01-02T03:04:05+01:00")));

    [Fact]
    public void DateTimeOffset_is_written_as_kombu_52_writes_aware_datetimes()
    {
        Assert.Equal("\"2024-01-02T03:04:05Z\"", Json(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        var berlin = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)).AddTicks(10);
        Assert.Equal("\"2024-01-02T03:04:05.000001+01:00\"", Json(berlin));
        Assert.Equal(berlin, RoundTrip(berlin));
        Assert.Equal(berlin.Offset, RoundTrip(berlin).Offset);
    }

    [Fact]
    public void Naive_text_reads_as_a_UTC_DateTimeOffset() =>
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), KombuValues.FromNode<DateTimeOffset>(JsonValue.Create("2024-01-02T03:04:05")));

    [Fact]
    public void DateOnly_and_TimeOnly_are_written_as_kombu_52_writes_date_and_time()
    {
        Assert.Equal("\"2024-01-02T00:00:00\"", Json(new DateOnly(2024, 1, 2)));
        Assert.Equal(new DateOnly(2024, 1, 2), RoundTrip(new DateOnly(2024, 1, 2)));
        Assert.Equal("\"01:02:03\"", Json(new TimeOnly(1, 2, 3)));
        Assert.Equal("\"01:02:03.000004\"", Json(new TimeOnly(1, 2, 3).Add(TimeSpan.FromTicks(40))));
        Assert.Equal(new TimeOnly(1, 2, 3, 0, 4), RoundTrip(new TimeOnly(1, 2, 3, 0, 4)));
        Assert.Equal(new DateOnly(2024, 1, 2), KombuValues.FromNode<DateOnly>(JsonValue.Create("2024-01-02")));
    }

    [Fact]
    public void Decimal_is_written_as_its_exact_text()
    {
        Assert.Equal("\"1.50\"", Json(1.50m));
        Assert.Equal(1.50m, RoundTrip(1.50m));
        Assert.Equal("1.50", RoundTrip(1.50m).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1.5m, KombuValues.FromNode<decimal>(JsonValue.Create(1.5)));
    }

    [Fact]
    public void Guid_is_written_as_UUID_text()
    {
        var id = new Guid("00000000-0000-0000-0000-000000000001");
        Assert.Equal("\"00000000-0000-0000-0000-000000000001\"", Json(id));
        Assert.Equal(id, RoundTrip(id));
    }

    [Fact]
    public void Numbers_are_read_from_strings()
    {
        Assert.Equal(42, KombuValues.FromNode<int>(JsonValue.Create("42")));
        Assert.Equal(3.5, KombuValues.FromNode<double>(JsonValue.Create("3.5")));
        Assert.Equal(12345678901234L, KombuValues.FromNode<long>(JsonValue.Create("12345678901234")));
        Assert.Equal(7, KombuValues.FromNode<int>(KombuJson.Parse("7"u8)));
    }

    [Fact]
    public void Values_that_do_not_fit_throw_JsonException() =>
        Assert.ThrowsAny<JsonException>(() => KombuValues.FromNode<int>(JsonValue.Create("seven")));

    [Fact]
    public void Clr_objects_keep_their_property_names()
    {
        var node = KombuValues.ToNode(new Point(1, 2.5));
        Assert.Equal("{\"X\": 1, \"Y\": 2.5}", KombuJson.SerializeToString(node));
        Assert.Equal(new Point(1, 2.5), KombuValues.FromNode<Point>(node));
    }

    [Fact]
    public void Json_nodes_pass_through_as_copies()
    {
        var original = new JsonObject { ["a"] = 1 };
        var node = KombuValues.ToNode(original);
        Assert.NotSame(original, node);
        TestJson.Equal(original, node);

        var back = KombuValues.FromNode<object>(original);
        Assert.NotSame(original, back);
        TestJson.Equal(original, (JsonNode?)back);
    }

    [Fact]
    public void Null_converts_to_null()
    {
        Assert.Null(KombuValues.ToNode(null));
        Assert.Null(KombuValues.FromNode<string>(null));
        Assert.Null(KombuValues.FromNode<int?>(null));
    }

    [Fact]
    public void Lists_and_dictionaries_convert_to_arrays_and_objects()
    {
        Assert.Equal("[1, 2, 3]", KombuJson.SerializeToString(KombuValues.ToNode(new List<int> { 1, 2, 3 })));
        Assert.Equal("{\"k\": \"v\"}", KombuJson.SerializeToString(KombuValues.ToNode(new Dictionary<string, string> { ["k"] = "v" })));
        Assert.Equal([1, 2], KombuValues.FromNode<List<int>>(new JsonArray(1, 2)));
    }

    private static string Json<T>(T value) => KombuJson.SerializeToString(KombuValues.ToNode(value));

    private static T RoundTrip<T>(T value) => KombuValues.FromNode<T>(KombuJson.Parse(KombuJson.Serialize(KombuValues.ToNode(value))))!;

    public sealed record Point(int X, double Y);
}
