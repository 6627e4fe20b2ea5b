using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// An exception as JSON-serializing Celery stores it: <c>{"exc_type", "exc_message", "exc_module"}</c>.
/// Python rebuilds the class from module and name, or makes a synthetic one when the module is unknown.
/// Source: celery/backends/base.py (prepare_exception, exception_to_python).
/// </summary>
/// <param name="Type">The class's <c>__qualname__</c>, e.g. <c>ValueError</c>.</param>
/// <param name="Module">The class's module, e.g. <c>builtins</c>.</param>
/// <param name="Message">The exception args: a list (current writers) or a string (older writers).</param>
public sealed record ExceptionInfo(string Type, string Module, JsonNode? Message)
{
    /// <summary>An exception from Python's <c>builtins</c> with one text argument.</summary>
    public static ExceptionInfo Builtin(string type, string message) => new(type, "builtins", new JsonArray(message));

    /// <summary>An exception from <c>celery.exceptions</c> with the given args.</summary>
    public static ExceptionInfo Celery(string type, params JsonNode?[] args) => new(type, "celery.exceptions", new JsonArray(args));

    /// <summary>The message as text: the single arg, the args joined, or the string form.</summary>
    public string MessageText => Message switch
    {
        null => string.Empty,
        JsonArray { Count: 0 } => string.Empty,
        JsonArray { Count: 1 } a => a[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : a[0]?.ToJsonString() ?? "None",
        JsonArray a => PythonRepr.Args(a),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => Message.ToJsonString(),
    };

    /// <summary>The JSON dict Celery stores.</summary>
    public JsonObject ToJson() => new()
    {
        [WireNames.ExcType] = Type,
        [WireNames.ExcMessage] = Message?.DeepClone(),
        [WireNames.ExcModule] = Module,
    };

    /// <summary>Reads an exception dict; null when <paramref name="node"/> is not one.</summary>
    public static ExceptionInfo? FromJson(JsonNode? node)
    {
        if (node is not JsonObject obj || obj[WireNames.ExcType] is not JsonValue t || t.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var module = obj[WireNames.ExcModule] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : "builtins";
        return new ExceptionInfo(t.GetValue<string>(), module, obj[WireNames.ExcMessage]?.DeepClone());
    }

    /// <summary>Python's <c>repr()</c> of the exception, e.g. <c>ValueError('boom')</c>.</summary>
    public override string ToString() => Message switch
    {
        JsonArray a => Type + "(" + string.Join(", ", a.Select(PythonRepr.Of)) + ")",
        null => Type + "()",
        _ => Type + "(" + PythonRepr.Of(Message) + ")",
    };
}
