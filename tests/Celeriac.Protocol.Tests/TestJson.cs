using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

/// <summary>Structural comparison helpers: records holding JSON nodes compare nodes by reference, tests need values.</summary>
internal static class TestJson
{
    /// <summary>Asserts that two JSON values are equal in structure and values (object key order ignored).</summary>
    public static void Equal(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {Text(expected)}, got {Text(actual)}");

    /// <summary>Every field of a decoded task message as one JSON object, so that two decodings can be compared.</summary>
    public static JsonObject Describe(TaskMessage m)
    {
        var h = m.Headers;
        return new JsonObject
        {
            ["task"] = h.Task,
            ["id"] = h.Id,
            ["lang"] = h.Lang,
            ["shadow"] = h.Shadow,
            ["eta"] = h.Eta?.ToString("O"),
            ["expires"] = h.Expires?.ToString("O"),
            ["group"] = h.Group,
            ["group_index"] = h.GroupIndex,
            ["retries"] = h.Retries,
            ["timelimit"] = new JsonArray(h.TimeLimit.Hard, h.TimeLimit.Soft),
            ["root_id"] = h.RootId,
            ["parent_id"] = h.ParentId,
            ["argsrepr"] = h.ArgsRepr,
            ["kwargsrepr"] = h.KwargsRepr,
            ["origin"] = h.Origin,
            ["ignore_result"] = h.IgnoreResult,
            ["replaced_task_nesting"] = h.ReplacedTaskNesting,
            ["extra"] = h.Extra.DeepClone(),
            ["args"] = m.Args.DeepClone(),
            ["kwargs"] = m.Kwargs.DeepClone(),
            ["callbacks"] = m.Embed.Callbacks?.DeepClone(),
            ["errbacks"] = m.Embed.Errbacks?.DeepClone(),
            ["chain"] = m.Embed.Chain?.DeepClone(),
            ["chord"] = m.Embed.Chord?.DeepClone(),
            ["correlation_id"] = m.Properties.CorrelationId,
            ["reply_to"] = m.Properties.ReplyTo,
            ["delivery_mode"] = m.Properties.DeliveryMode,
            ["priority"] = m.Properties.Priority,
            ["expiration"] = m.Properties.Expiration,
            ["properties_extra"] = m.Properties.Extra?.DeepClone(),
            ["protocol"] = m.ProtocolVersion,
        };
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";
}
