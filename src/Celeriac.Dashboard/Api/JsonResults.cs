using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Celeriac.Dashboard.Api;

/// <summary>JSON responses from <see cref="JsonNode"/>s (written as they are: Flower's keys keep their spelling).</summary>
internal static class JsonResults
{
    public const string ContentType = "application/json; charset=utf-8";

    public static IResult Json(JsonNode node, int status = StatusCodes.Status200OK) => Results.Content(node.ToJsonString(), ContentType, null, status);

    public static IResult Error(int status, string message) => Json(new JsonObject { ["error"] = message, ["message"] = message }, status);

    public static IResult From(ActionResult result) => Json(result.Body, result.Status);
}
