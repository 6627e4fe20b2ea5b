using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// The third element of a v2 body: canvas continuations as Celery signature dicts (Celery §2.3, §3).
/// </summary>
public sealed record TaskEmbed
{
    /// <summary>Signatures applied with the result on success (<c>link</c>).</summary>
    public JsonArray? Callbacks { get; init; }

    /// <summary>Signatures applied on failure (<c>link_error</c>).</summary>
    public JsonArray? Errbacks { get; init; }

    /// <summary>The rest of a chain, in reverse order: the next step is the last element.</summary>
    public JsonArray? Chain { get; init; }

    /// <summary>The chord body when this task is a chord header member.</summary>
    public JsonObject? Chord { get; init; }

    /// <summary>An embed with nothing in it.</summary>
    public static TaskEmbed Empty { get; } = new();
}
