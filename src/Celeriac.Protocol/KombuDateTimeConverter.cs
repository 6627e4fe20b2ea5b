using System.Text.Json;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="DateTime"/> as kombu 5.2 writes <c>datetime</c>: UTC kinds get a <c>Z</c>, others are naive.
/// Reads any ISO text Celery accepts: text with an offset or <c>Z</c> becomes a UTC DateTime, naive text stays unspecified.
/// </summary>
internal sealed class KombuDateTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (!WireTime.TryParse(text, out var value))
        {
            throw new JsonException($"'{text}' is not an ISO-8601 date/time");
        }

        return WireTime.HasOffset(text!) ? value.UtcDateTime : value.DateTime;
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(KombuValues.Format(value));
}
