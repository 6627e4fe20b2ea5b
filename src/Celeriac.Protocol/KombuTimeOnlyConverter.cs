using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary><see cref="TimeOnly"/> as Python's <c>time.isoformat()</c>: <c>01:02:03</c> or <c>01:02:03.000004</c>.</summary>
internal sealed class KombuTimeOnlyConverter : JsonConverter<TimeOnly>
{
    private static readonly string[] Formats = ["HH':'mm':'ss.FFFFFFF", "HH':'mm':'ss", "HH':'mm"];

    public override TimeOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return TimeOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an ISO-8601 time of day");
    }

    public override void Write(Utf8JsonWriter writer, TimeOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(KombuValues.Format(value));
}
