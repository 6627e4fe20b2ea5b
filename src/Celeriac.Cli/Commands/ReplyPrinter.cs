using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary>
/// Prints remote-control replies as Celery's CLI does: <c>-&gt;  node: OK</c>, then the text, a bullet list, or
/// indented JSON with sorted keys. Source: celery/bin/control.py (_say_remote_command_reply), celery/utils/text.py.
/// </summary>
internal static class ReplyPrinter
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format(string node, JsonNode? reply)
    {
        var error = reply is JsonObject { Count: 1 } e && e["error"] is not null;
        var header = $"->  {node}: {(error ? "ERROR" : "OK")}";
        return reply switch
        {
            JsonObject { Count: 1 } o when o["ok"] is JsonValue ok => header + "\n        " + ok,
            JsonObject { Count: 1 } o when o["error"] is JsonValue err => header + "\n        " + err,
            JsonArray list => header + string.Concat(list.Select(item => "\n    * " + Item(item))),
            null => header,
            _ => header + "\n" + Indent(JsonSerializer.Serialize(Sorted(reply), Pretty), "    "),
        };
    }

    private static string Item(JsonNode? item) => item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : PythonRepr.Of(item);

    private static string Indent(string text, string prefix) => string.Join('\n', text.Split('\n').Select(l => prefix + l));

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };
}
