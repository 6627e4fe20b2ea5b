using System.Text.Json;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary>
/// <see cref="DateOnly"/> as kombu 5.2 writes a <c>date</c>: the midnight datetime, <c>2024-01-02T00:00:00</c>.
/// Reads any ISO text Celery accepts and keeps its (wall-clock) date.
/// </summary>
internal sealed class KombuDateOnlyConverter : JsonConverter<DateOnly>
{
    public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return WireTime.TryParse(text, out var value)
            ? DateOnly.FromDateTime(value.DateTime)
            : throw new JsonException($"'{text}' is not an ISO-8601 date");
    }

    public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(KombuValues.Format(value));
}
