using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.Api;

/// <summary>The outcome of an action: an HTTP status and a JSON body (<c>{"message": ...}</c> as Flower answers, or data).</summary>
internal sealed record ActionResult(int Status, JsonObject Body)
{
    public static ActionResult Ok(string message) => new(200, new JsonObject { ["message"] = message });

    public static ActionResult Ok(JsonObject body) => new(200, body);

    public static ActionResult Error(int status, string message) => new(status, new JsonObject { ["error"] = message, ["message"] = message });
}
