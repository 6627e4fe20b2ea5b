using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// The protocol v2 headers of a task message (Celery §2.2). Python always writes every key, with nulls.
/// </summary>
public sealed record TaskHeaders
{
    /// <summary>Registered task name, e.g. <c>proj.tasks.add</c>. Its presence marks a v2 message.</summary>
    public required string Task { get; init; }

    /// <summary>Task id (a UUID string).</summary>
    public required string Id { get; init; }

    /// <summary>Always <c>py</c> in practice; nobody reads it.</summary>
    public string Lang { get; init; } = "py";

    /// <summary>Display name override for logs and events.</summary>
    public string? Shadow { get; init; }

    /// <summary>Earliest execution time. Naive wire values are read as UTC.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary>After this time the worker revokes the task instead of running it.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Group id (also the chord id for chord header tasks).</summary>
    public string? Group { get; init; }

    /// <summary>Position in the group or chord header.</summary>
    public int? GroupIndex { get; init; }

    /// <summary>Retries already done.</summary>
    public int Retries { get; init; }

    /// <summary>Per-call time limits, <c>[hard, soft]</c> on the wire.</summary>
    public TimeLimit TimeLimit { get; init; }

    /// <summary>Id of the first task of the workflow; equals <see cref="Id"/> without a parent.</summary>
    public string? RootId { get; init; }

    /// <summary>Id of the task that sent this one.</summary>
    public string? ParentId { get; init; }

    /// <summary>Python <c>repr(args)</c>, e.g. <c>(2, 3)</c>.</summary>
    public string? ArgsRepr { get; init; }

    /// <summary>Python <c>repr(kwargs)</c>, e.g. <c>{}</c>.</summary>
    public string? KwargsRepr { get; init; }

    /// <summary>Node name of the sender, <c>gen&lt;pid&gt;@&lt;host&gt;</c>.</summary>
    public string? Origin { get; init; }

    /// <summary>When true the worker stores no result for a success.</summary>
    public bool IgnoreResult { get; init; }

    /// <summary>Celery 5.3.5+ replace nesting depth; null when absent.</summary>
    public int? ReplacedTaskNesting { get; init; }

    /// <summary>Every header this record does not name: custom headers, <c>stamps</c>, <c>redelivered</c>, ....</summary>
    public JsonObject Extra { get; init; } = [];
}
