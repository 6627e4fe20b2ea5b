using System.Text.Json.Nodes;
using static Celeriac.Canvas.CanvasNames;

namespace Celeriac.Canvas;

/// <summary>What a signature is frozen with: the ids and chord membership its parent gives it.</summary>
internal sealed record FreezeScope
{
    /// <summary>The id of the task whose result is the signature's (kept when it has one).</summary>
    public string? TaskId { get; init; }

    /// <summary>The group it belongs to (kept when it has one).</summary>
    public string? GroupId { get; init; }

    /// <summary>Its position in a chord header.</summary>
    public int? GroupIndex { get; init; }

    /// <summary>The chord body it reports to.</summary>
    public JsonObject? Chord { get; init; }

    /// <summary>The workflow's root task id.</summary>
    public string? RootId { get; init; }

    /// <summary>The task that sends it.</summary>
    public string? ParentId { get; init; }

    /// <summary>Nothing given.</summary>
    public static FreezeScope None { get; } = new();
}

/// <summary>
/// Celery's <c>freeze</c>: assigns the task ids of a workflow before it is sent, so that its results can be followed
/// (and so that a chord header knows its body's id). Ids already set are kept; freezing twice changes nothing.
/// Source: celery/canvas.py (Signature.freeze, _chain.prepare_steps, group._freeze_group_tasks, _chord.freeze).
/// </summary>
internal static class CanvasFreezer
{
    /// <summary>A frozen copy of <paramref name="s"/>; <paramref name="replyTo"/> is the sender's reply queue id.</summary>
    public static Signature Freeze(Signature s, FreezeScope scope, string? replyTo) => s.SubtaskType switch
    {
        ChainType => FreezeChain(s, scope, replyTo),
        GroupType => FreezeGroup(s, scope, replyTo),
        ChordType => FreezeChord(s, scope, replyTo),
        _ => FreezeTask(s, scope, replyTo),
    };

    /// <summary>
    /// Celery's <c>prepare_steps</c> on a chain's steps: nested chains are spliced in, a group of one becomes its task,
    /// and a group followed by a step becomes a chord with that step as body (from the end, so groups in a row nest).
    /// </summary>
    public static List<Signature> PrepareSteps(IEnumerable<Signature> tasks)
    {
        var pending = new Stack<Signature>(tasks.Reverse());
        var flat = new List<Signature>();
        while (pending.Count > 0)
        {
            var t = pending.Pop();
            if (t.SubtaskType == ChainType)
            {
                foreach (var inner in Workflow.Tasks(t).Reverse())
                {
                    pending.Push(inner);
                }

                continue;
            }

            flat.Add(t.SubtaskType == GroupType && Workflow.Tasks(t) is { Count: 1 } only ? only[0] : t);
        }

        var steps = new List<Signature>(flat.Count);
        for (var i = flat.Count - 1; i >= 0; i--)
        {
            var t = flat[i];
            if (t.SubtaskType == GroupType && steps.Count > 0)
            {
                t = Workflow.Chord(t, steps[0]);
                steps.RemoveAt(0);
            }

            steps.Insert(0, t);
        }

        return steps;
    }

    /// <summary>A group's members with nested groups unrolled into it, in order (Celery's <c>_freeze_unroll</c>).</summary>
    public static List<Signature> Unroll(Signature group)
    {
        var members = new List<Signature>();
        foreach (var m in Workflow.Tasks(group))
        {
            if (m.SubtaskType == GroupType)
            {
                members.AddRange(Unroll(m));
            }
            else
            {
                members.Add(m);
            }
        }

        return members;
    }

    /// <summary>
    /// The ids that report to a chord when <paramref name="frozen"/> is one of its header's members: a task's own, a chain's
    /// last task's, a group's members', a chord's body's. Their count is Celery's chord size (<c>_chord._descend</c>).
    /// </summary>
    public static IEnumerable<string> JoinIds(Signature frozen) => frozen.SubtaskType switch
    {
        ChainType => Workflow.Tasks(frozen) is { Count: > 0 } steps ? JoinIds(steps[^1]) : [],
        GroupType => Unroll(frozen).SelectMany(JoinIds),
        ChordType => JoinIds(Workflow.ChordParts(frozen).Body),
        _ => [frozen.Id ?? throw new InvalidOperationException($"{frozen} is not frozen")],
    };

    private static Signature FreezeTask(Signature s, FreezeScope scope, string? replyTo)
    {
        var o = s.Options;
        o[TaskId] ??= scope.TaskId ?? Guid.NewGuid().ToString();
        if (scope.RootId is not null)
        {
            o[RootId] = scope.RootId;
        }

        if (scope.ParentId is not null)
        {
            o[ParentId] = scope.ParentId;
        }

        if (replyTo is not null && !o.ContainsKey(ReplyTo))
        {
            o[ReplyTo] = replyTo;
        }

        if (scope.GroupId is not null && o[GroupId] is null)
        {
            o[GroupId] = scope.GroupId;
        }

        if (scope.Chord is not null)
        {
            o[Chord] = scope.Chord.DeepClone();
        }

        if (scope.GroupIndex is { } index)
        {
            o[GroupIndex] = index;
        }

        return s.With(options: o);
    }

    private static Signature FreezeChain(Signature chain, FreezeScope scope, string? replyTo)
    {
        var steps = PrepareSteps(Workflow.Tasks(chain));
        for (var i = 0; i < steps.Count; i++)
        {
            // The last step stands for the whole chain: it takes the chain's id and its group or chord membership.
            var stepScope = i == steps.Count - 1
                ? scope with { TaskId = scope.TaskId ?? chain.Id, ParentId = null }
                : new FreezeScope { RootId = scope.RootId };
            steps[i] = Freeze(steps[i], stepScope, replyTo);
        }

        var kwargs = chain.Kwargs;
        kwargs[TasksKey] = ToJson(steps);
        return chain.With(kwargs: kwargs);
    }

    private static Signature FreezeGroup(Signature group, FreezeScope scope, string? replyTo)
    {
        var o = group.Options;
        var groupId = Signature.Text(o[TaskId]) ?? scope.TaskId ?? Guid.NewGuid().ToString();
        o[TaskId] = groupId;
        var members = Unroll(group);
        for (var i = 0; i < members.Count; i++)
        {
            // As Celery's _freeze_unroll: members get the enclosing group's id, not this group's own, which they only get
            // when the group is sent. A chord read back from its dict drops its header group's id (Python's chord
            // from_dict keeps only the header's tasks) and joins under a new one: members must not be bound to the old.
            members[i] = Freeze(members[i], new FreezeScope { GroupId = scope.GroupId, GroupIndex = i, Chord = scope.Chord, RootId = scope.RootId, ParentId = scope.ParentId }, replyTo);
        }

        var kwargs = group.Kwargs;
        kwargs[TasksKey] = ToJson(members);
        return group.With(kwargs: kwargs, options: o);
    }

    private static Signature FreezeChord(Signature chord, FreezeScope scope, string? replyTo)
    {
        var (header, body) = Workflow.ChordParts(chord);
        var frozenBody = Freeze(body, scope with { ParentId = null }, replyTo);
        var frozenHeader = FreezeGroup(header, new FreezeScope { Chord = frozenBody.ToJson(), RootId = scope.RootId, ParentId = scope.ParentId }, replyTo);
        var kwargs = chord.Kwargs;
        kwargs[HeaderKey] = frozenHeader.ToJson();
        kwargs[BodyKey] = frozenBody.ToJson();
        // Celery gives a frozen chord its header's group id.
        var o = chord.Options;
        o[TaskId] = frozenHeader.Id;
        return chord.With(kwargs: kwargs, options: o);
    }

    private static JsonArray ToJson(IEnumerable<Signature> signatures)
    {
        var array = new JsonArray();
        foreach (var s in signatures)
        {
            array.Add(s.ToJson());
        }

        return array;
    }
}
