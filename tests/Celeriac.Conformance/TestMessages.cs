using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Conformance;

/// <summary>Small messages whose body is a readable text.</summary>
public static class TestMessages
{
    public static TransportMessage Text(string body, int? priority = null) => new()
    {
        Body = Encoding.UTF8.GetBytes(body),
        ContentType = "text/plain",
        Properties = new MessageProperties { Priority = priority },
    };

    public static string BodyOf(IDelivery delivery) => Encoding.UTF8.GetString(delivery.Message.Body.Span);

    public static JsonObject Headers(params (string Key, JsonNode? Value)[] pairs)
    {
        var headers = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            headers[key] = value;
        }

        return headers;
    }
}
