using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Celeriac.Protocol;

/// <summary><see cref="decimal"/> as kombu 5.2 writes <c>Decimal</c>: its exact text as a JSON string. Reads numbers too.</summary>
internal sealed class KombuDecimalConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? decimal.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
            : reader.GetDecimal();

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
}
