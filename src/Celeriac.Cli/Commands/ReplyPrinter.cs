using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary>
/// Prints remote-control replies as Celery's CLI does: <c>-&gt;  node: OK</c> (or <c>ERROR</c>), then the body indented
/// by four: an <c>ok</c>/<c>error</c> text indented by four more, a list as <c>* item</c> lines (<c>- empty -</c> when
/// empty; items as Python's <c>str()</c>), any other object as Python's <c>json.dumps(sort_keys=True, indent=4)</c>
/// followed by the newline its highlighter adds, and anything else as Python's <c>pformat</c>.
/// Source: celery/bin/control.py (_say_remote_command_reply), celery/bin/base.py (pretty), celery/utils/text.py (indent).
/// </summary>
internal static class ReplyPrinter
{
    public static string Format(string node, JsonNode? reply)
    {
        var (ok, body) = Pretty(reply);
        return $"->  {node}: {(ok ? "OK" : "ERROR")}\n{Indent(body, 4)}";
    }

    /// <summary>The closing line: a blank line, then <c>1 node online.</c> / <c>2 nodes online.</c></summary>
    public static string Online(int count) => $"\n{count} node{(count == 1 ? string.Empty : "s")} online.";

    /// <summary><c>-j</c>: the replies as kombu's <c>dumps</c> writes them.</summary>
    public static string Json(JsonNode replies) => KombuJson.SerializeToString(replies);

    /// <summary>The reply's status and body, as Celery's <c>CLIContext.pretty</c>.</summary>
    private static (bool Ok, string Body) Pretty(JsonNode? reply) => reply switch
    {
        JsonArray list => (true, list.Count == 0 ? "- empty -" : string.Join('\n', list.Select(item => "* " + Str(item)))),
        JsonObject o when o.ContainsKey("ok") => (true, Indent(Pretty(o["ok"]).Body, 4)),
        JsonObject o when o.ContainsKey("error") => (false, Indent(Pretty(o["error"]).Body, 4)),
        JsonObject o => (true, IndentedJson(o) + "\n"),
        _ => (true, Str(reply)),
    };

    /// <summary>Python's <c>str()</c>: a string as it is, anything else as its repr.</summary>
    private static string Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : PythonRepr.Untruncated(node);

    private static string Indent(string text, int by) => string.Join('\n', text.Split('\n').Select(l => new string(' ', by) + l));

    /// <summary>Python's <c>json.dumps(value, sort_keys=True, indent=4)</c>: ASCII only, Python's float repr.</summary>
    public static string IndentedJson(JsonNode? node)
    {
        var sb = new StringBuilder();
        WriteJson(sb, node, 0);
        return sb.ToString();
    }

    private static void WriteJson(StringBuilder sb, JsonNode? node, int depth)
    {
        switch (node)
        {
            case JsonObject { Count: 0 }:
                sb.Append("{}");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    sb.Append(first ? "\n" : ",\n").Append(' ', (depth + 1) * 4).Append(KombuJson.SerializeToString(JsonValue.Create(key))).Append(": ");
                    WriteJson(sb, value, depth + 1);
                    first = false;
                }

                sb.Append('\n').Append(' ', depth * 4).Append('}');
                break;
            case JsonArray { Count: 0 }:
                sb.Append("[]");
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    sb.Append(i == 0 ? "\n" : ",\n").Append(' ', (depth + 1) * 4);
                    WriteJson(sb, a[i], depth + 1);
                }

                sb.Append('\n').Append(' ', depth * 4).Append(']');
                break;
            default:
                sb.Append(KombuJson.SerializeToString(node));
                break;
        }
    }
}
