using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Client;
using Celeriac.Protocol;
using static Celeriac.Canvas.CanvasNames;

namespace Celeriac.Canvas;

/// <summary>
/// Sends signatures as Celery does: a task with its <c>link</c>/<c>link_error</c>/<c>chain</c>/<c>chord</c> options moved
/// into the message's embed; a chain as its first step with the rest reversed in <c>embed.chain</c>; a group as its
/// members with the group id; a chord as its header with the body in <c>embed.chord</c>, after the backend has been
/// told the header's size (or, on a backend that cannot join, with a <c>celery.chord_unlock</c> task polling it).
/// Used by clients and by workers (callbacks, next chain step, chord body).
/// Source: celery/canvas.py (Signature.apply_async, _chain.run, group.apply_async, _chord.run), celery/backends/base.py
/// (fallback_chord_unlock).
/// </summary>
internal sealed class CanvasSender
{
    /// <summary>Celery's <c>result_chord_retry_interval</c> default, also the countdown of the first unlock.</summary>
    internal static readonly TimeSpan ChordUnlockInterval = TimeSpan.FromSeconds(1);

    private readonly CeleriacApp _app;

    public CanvasSender(CeleriacApp app) => _app = app;

    /// <summary>
    /// Sends <paramref name="signature"/>; <paramref name="options"/> win over its own, except a <c>group_id</c> it already
    /// has, and null ones are dropped (Celery's <c>_merge</c>). <paramref name="fromClient"/>: a client's own
    /// <c>chunks</c> is sent as its group of <c>celery.starmap</c> tasks, a worker's as the <c>celery.chunks</c> task.
    /// </summary>
    /// <exception cref="InvalidOperationException">A group was given <c>link</c> or <c>link_error</c> (Celery's TypeError).</exception>
    /// <exception cref="MessageDecodeException">A composite signature is malformed.</exception>
    public Task<AsyncResult> ApplyAsync(Signature signature, JsonObject? options, bool fromClient, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        signature = signature.WithApp(_app);
        if (fromClient && signature.SubtaskType is null && signature.Task == ChunksTask)
        {
            signature = Workflow.ChunksGroup(signature).WithOptions(signature.OptionsNode);
        }

        return SendAsync(signature, Merge(signature.OptionsNode, options), cancellationToken);
    }

    /// <summary>Celery's option merge: the call's options win, except over a <c>group_id</c> already set; nulls are dropped.</summary>
    internal static JsonObject Merge(JsonObject own, JsonObject? call)
    {
        var merged = (JsonObject)own.DeepClone();
        foreach (var (key, value) in call ?? [])
        {
            if (value is null || (key == GroupId && merged[GroupId] is not null))
            {
                continue;
            }

            merged[key] = value.DeepClone();
        }

        return merged;
    }

    private Task<AsyncResult> SendAsync(Signature s, JsonObject options, CancellationToken cancellationToken) => s.SubtaskType switch
    {
        ChainType => SendChainAsync(s, options, cancellationToken),
        GroupType => SendGroupAsync(s, options, cancellationToken),
        ChordType => SendChordAsync(s, options, cancellationToken),
        _ => SendTaskAsync(s, options, cancellationToken),
    };

    private async Task<AsyncResult> SendTaskAsync(Signature s, JsonObject o, CancellationToken cancellationToken)
    {
        o[TaskId] ??= Guid.NewGuid().ToString();
        var embed = new TaskEmbed
        {
            Callbacks = List(o[Link]),
            Errbacks = List(o[LinkError]),
            Chain = o[Chain] is JsonArray { Count: > 0 } chain ? (JsonArray)chain.DeepClone() : null,
            Chord = o[Chord] is JsonObject chord ? (JsonObject)chord.DeepClone() : null,
        };

        var routeName = RouteName(s);
        if (o[Queue] is null && _app.Tasks.TryGet(routeName, out var definition) && definition.Settings.Queue is { } queue)
        {
            o[Queue] = queue;
        }

        if (o[Queue] is null && routeName != s.Task && _app.Producer.Router.Resolve(routeName, null, Text(o["exchange"]), Text(o["routing_key"])) is var target)
        {
            o[Queue] = target.Queue;
            o[Priority] ??= target.Priority;
        }

        var id = await _app.Producer.SendAsync(s.Task, s.Args, s.Kwargs, embed, SignatureOptions.ToApplyOptions(o), cancellationToken).ConfigureAwait(false);
        return new AsyncResult(id, _app);
    }

    /// <summary>Celery routes map, starmap and chunks by the task they call (<c>route_name</c>), so they run where it does.</summary>
    private static string RouteName(Signature s) =>
        s.Task is MapTask or StarmapTask or ChunksTask && s.KwargsNode[TaskKey] is JsonObject inner && Text(inner[TaskKey]) is { } innerName
            ? innerName
            : s.Task;

    private async Task<AsyncResult> SendChainAsync(Signature chain, JsonObject o, CancellationToken cancellationToken)
    {
        // Celery's _chain.run: the id and the group or chord membership belong to the last step, link to the last step,
        // link_error to every step; the other options (queue, countdown, parent) go with the first step only.
        var scope = new FreezeScope
        {
            TaskId = Pop(o, TaskId),
            GroupId = Pop(o, GroupId),
            GroupIndex = PopNumber(o, GroupIndex),
            Chord = o[Chord] as JsonObject,
            RootId = Text(o[RootId]),
        };
        o.Remove(Chord);
        var link = List(o[Link]);
        var linkError = List(o[LinkError]);
        o.Remove(Link);
        o.Remove(LinkError);

        var steps = CanvasFreezer.PrepareSteps(Workflow.Tasks(chain));
        if (steps.Count == 0)
        {
            throw new MessageDecodeException("a chain without tasks cannot be sent");
        }

        if (chain.ArgsNode.Count > 0)
        {
            steps[0] = steps[0].Apply(chain.Args, null);
        }

        steps = [.. Workflow.Tasks(CanvasFreezer.Freeze(RebuildChain(steps), scope, _app.Oid))];
        foreach (var callback in link ?? [])
        {
            steps[^1] = steps[^1].Link(Signature.FromJson(callback));
        }

        for (var i = 0; i < steps.Count && linkError is not null; i++)
        {
            foreach (var errback in linkError)
            {
                steps[i] = steps[i].LinkError(Signature.FromJson(errback));
            }
        }

        // The rest, reversed so that each worker pops the next step; an enclosing chain's rest comes after ours.
        var rest = o[Chain] is JsonArray outer ? (JsonArray)outer.DeepClone() : [];
        for (var i = steps.Count - 1; i >= 1; i--)
        {
            rest.Add(steps[i].ToJson());
        }

        o[Chain] = rest;
        var first = await SendAsync(steps[0], Merge(steps[0].OptionsNode, o), cancellationToken).ConfigureAwait(false);
        if (steps.Count == 1)
        {
            return first;
        }

        AsyncResult? previous = first;
        AsyncResult last = first;
        for (var i = 1; i < steps.Count; i++)
        {
            last = ResultFor(steps[i]);
            Root(last).Parent = previous;
            previous = last;
        }

        return last;
    }

    private async Task<AsyncResult> SendGroupAsync(Signature group, JsonObject o, CancellationToken cancellationToken)
    {
        if (o[Link] is not null)
        {
            throw new InvalidOperationException("Cannot add link to group: use a chord");
        }

        if (o[LinkError] is not null)
        {
            throw new InvalidOperationException("Cannot add link to group: do that on individual tasks");
        }

        // Celery's _freeze_gid: the group's own id (its task_id option) becomes every member's group_id.
        var groupId = Pop(o, TaskId) ?? Guid.NewGuid().ToString();
        o[GroupId] = groupId;
        var chord = o[Chord] as JsonObject;
        if (o[Chain] is JsonArray { Count: 0 })
        {
            o.Remove(Chain);
        }

        var members = CanvasFreezer.Unroll(group);
        for (var i = 0; i < members.Count; i++)
        {
            if (group.ArgsNode.Count > 0)
            {
                members[i] = members[i].Apply(group.Args, null);
            }

            var scope = new FreezeScope { GroupId = groupId, RootId = Text(o[RootId]), GroupIndex = chord is null ? null : i, Chord = chord };
            members[i] = CanvasFreezer.Freeze(members[i], scope, _app.Oid);
        }

        if (chord is not null)
        {
            // A group that reports to a chord (the last step of a chain in a chord's header) is joined under its own id.
            await PrepareChordAsync(groupId, members, Signature.FromJson(chord), cancellationToken).ConfigureAwait(false);
        }

        var results = new List<AsyncResult>(members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            var memberOptions = (JsonObject)o.DeepClone();
            if (chord is not null)
            {
                memberOptions[GroupIndex] = i;
            }

            results.Add(await SendAsync(members[i], Merge(members[i].OptionsNode, memberOptions), cancellationToken).ConfigureAwait(false));
        }

        return new GroupResult(groupId, results, _app);
    }

    private async Task<AsyncResult> SendChordAsync(Signature chord, JsonObject o, CancellationToken cancellationToken)
    {
        var (header, body) = Workflow.ChordParts(chord);
        var bodyId = Pop(o, TaskId);
        // Celery's _chord.run: every option given to the chord (the rest of an enclosing chain, link, group membership,
        // queue, parent) is the body's; the header gets them without the chain, chord and membership.
        body = CanvasFreezer.Freeze(body.WithOptions(o), new FreezeScope { TaskId = bodyId, RootId = Text(o[RootId]) }, _app.Oid);
        var headerOptions = (JsonObject)o.DeepClone();
        foreach (var key in new[] { Chain, Chord, Link, LinkError, GroupId, GroupIndex })
        {
            headerOptions.Remove(key);
        }

        var groupId = header.Id ?? Guid.NewGuid().ToString();
        var members = CanvasFreezer.Unroll(header);
        if (members.Count == 0)
        {
            // Nothing would ever report to an empty header: the body is sent at once with an empty list, as in Celery.
            return await SendAsync(body.Apply([new JsonArray()], null), body.Options, cancellationToken).ConfigureAwait(false);
        }

        var bodyJson = body.ToJson();
        for (var i = 0; i < members.Count; i++)
        {
            foreach (var partial in new[] { header.ArgsNode, chord.ArgsNode })
            {
                if (partial.Count > 0)
                {
                    members[i] = members[i].Apply((JsonArray)partial.DeepClone(), null);
                }
            }

            members[i] = CanvasFreezer.Freeze(members[i], new FreezeScope { GroupId = groupId, GroupIndex = i, Chord = bodyJson, RootId = Text(o[RootId]) }, _app.Oid);
        }

        await PrepareChordAsync(groupId, members, body, cancellationToken).ConfigureAwait(false);
        var results = new List<AsyncResult>(members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            var memberOptions = (JsonObject)headerOptions.DeepClone();
            memberOptions[GroupId] = groupId;
            memberOptions[GroupIndex] = i;
            memberOptions[Chord] = bodyJson.DeepClone();
            results.Add(await SendAsync(members[i], Merge(members[i].OptionsNode, memberOptions), cancellationToken).ConfigureAwait(false));
        }

        var bodyResult = ResultFor(body);
        Root(bodyResult).Parent = new GroupResult(groupId, results, _app);
        return bodyResult;
    }

    /// <summary>
    /// Tells the backend the header's size before any member can end (Celery sets it before the last one is sent); a
    /// backend that cannot join gets Celery's fallback instead, a <c>celery.chord_unlock</c> task that polls the header.
    /// </summary>
    private async Task PrepareChordAsync(string groupId, IReadOnlyList<Signature> frozenMembers, Signature body, CancellationToken cancellationToken)
    {
        var joinIds = frozenMembers.SelectMany(CanvasFreezer.JoinIds).ToList();
        if (_app.Backend.Capabilities.JoinsChords)
        {
            await _app.Backend.PrepareChordAsync(groupId, joinIds, cancellationToken).ConfigureAwait(false);
            return;
        }

        var tuples = new JsonArray();
        foreach (var id in joinIds)
        {
            tuples.Add(GroupResultCodec.TaskTuple(id));
        }

        var unlock = new Signature(ChordUnlockTask, new JsonArray(groupId, body.ToJson()), new JsonObject { ["interval"] = null, ["max_retries"] = null, ["result"] = tuples });
        var queue = Text(body.OptionsNode[Queue]) ?? (_app.Tasks.TryGet(body.Task, out var d) ? d.Settings.Queue : null) ?? _app.Producer.Router.Resolve(body.Task, null, null, null).Queue;
        var options = new JsonObject { [Countdown] = ChordUnlockInterval.TotalSeconds, [Queue] = queue, [Priority] = body.OptionsNode[Priority]?.DeepClone() ?? 0 };
        await SendTaskAsync(unlock, options, cancellationToken).ConfigureAwait(false);
    }

    private AsyncResult ResultFor(Signature frozen)
    {
        switch (frozen.SubtaskType)
        {
            case GroupType:
                return new GroupResult(frozen.Id!, [.. CanvasFreezer.Unroll(frozen).Select(ResultFor)], _app);
            case ChainType:
                AsyncResult? previous = null;
                AsyncResult? last = null;
                foreach (var step in Workflow.Tasks(frozen))
                {
                    last = ResultFor(step);
                    Root(last).Parent = previous;
                    previous = last;
                }

                return last ?? throw new InvalidOperationException("an empty chain has no result");
            case ChordType:
                var (header, body) = Workflow.ChordParts(frozen);
                var bodyResult = ResultFor(body);
                Root(bodyResult).Parent = ResultFor(header);
                return bodyResult;
            default:
                return new AsyncResult(frozen.Id ?? throw new InvalidOperationException($"{frozen} is not frozen"), _app);
        }
    }

    /// <summary>The first result up a chain of parents: where a step's own parent is attached.</summary>
    private static AsyncResult Root(AsyncResult result)
    {
        var node = result;
        while (node.Parent is { } parent)
        {
            node = parent;
        }

        return node;
    }

    private static Signature RebuildChain(List<Signature> steps) =>
        new(ChainTask, kwargs: new JsonObject { [TasksKey] = ToJson(steps) }, subtaskType: ChainType);

    private static JsonArray ToJson(IEnumerable<Signature> signatures)
    {
        var array = new JsonArray();
        foreach (var s in signatures)
        {
            array.Add(s.ToJson());
        }

        return array;
    }

    private static JsonArray? List(JsonNode? node) => node switch
    {
        JsonArray { Count: > 0 } a => (JsonArray)a.DeepClone(),
        JsonObject o => [o.DeepClone()],
        _ => null,
    };

    private static string? Pop(JsonObject o, string key)
    {
        var value = Text(o[key]);
        o.Remove(key);
        return value;
    }

    private static int? PopNumber(JsonObject o, string key)
    {
        var value = o[key] is JsonValue v && v.TryGetValue<int>(out var n) ? n : (int?)null;
        o.Remove(key);
        return value;
    }

    private static string? Text(JsonNode? node) => Signature.Text(node);
}
