using System.Text.Json;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="DateTimeOffset"/> as kombu 5.2 writes an aware <c>datetime</c>: ISO text, <c>+00:00</c> written as <c>Z</c>.
/// Naive text reads as UTC, as Celery does.
/// </summary>
internal sealed class KombuDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return WireTime.TryParse(text, out var value) ? value : throw new JsonException($"'{text}' is not an ISO-8601 date/time");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(KombuValues.Format(value));
}
