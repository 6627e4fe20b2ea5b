using System.Text.Json.Nodes;
using Celeriac.Protocol;
using static Celeriac.Canvas.CanvasNames;

namespace Celeriac.Canvas;

/// <summary>
/// Celery's canvas primitives as signatures in Celery's wire form: <c>chain</c>, <c>group</c>, <c>chord</c>, <c>map</c>,
/// <c>starmap</c>, <c>chunks</c>. <c>using static Celeriac.Canvas.Workflow;</c> lets a workflow read as in Python:
/// <c>Chord(Group(a, b), c)</c>, <c>Chain(a, b, c)</c>. Source: celery/canvas.py.
/// </summary>
public static class Workflow
{
    /// <summary>
    /// Each task receives the result of the one before. Built as Celery's <c>chain(a, b, c)</c>, i.e. <c>a | b | c</c>:
    /// nested chains are flattened, and a group followed by a task becomes a chord.
    /// </summary>
    public static Signature Chain(params Signature[] tasks) => Chain((IEnumerable<Signature>)tasks);

    /// <summary>Each task receives the result of the one before (see <see cref="Chain(Signature[])"/>).</summary>
    /// <exception cref="ArgumentException">No tasks.</exception>
    public static Signature Chain(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        Signature? result = null;
        foreach (var t in tasks)
        {
            ArgumentNullException.ThrowIfNull(t);
            result = result is null ? (t.SubtaskType is ChainType or GroupType ? t : ChainOf([t])) : Pipe(result, t);
        }

        return result ?? throw new ArgumentException("a chain needs at least one task", nameof(tasks));
    }

    /// <summary>The tasks run in parallel; the result is the list of their results, in order.</summary>
    public static Signature Group(params Signature[] tasks) => Group((IEnumerable<Signature>)tasks);

    /// <summary>The tasks run in parallel; the result is the list of their results, in order.</summary>
    public static Signature Group(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var members = tasks.ToList();
        return Composite(GroupTask, GroupType, new JsonObject { [TasksKey] = ToJson(members) }, members);
    }

    /// <summary>A group whose list of results is passed to <paramref name="body"/> once every member has ended.</summary>
    public static Signature Chord(IEnumerable<Signature> header, Signature body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(body);
        var members = header.ToList();
        // Celery keeps a chord's header as the plain list of its signatures until it is frozen.
        return Composite(ChordTask, ChordType, new JsonObject { [KwargsKey] = new JsonObject(), [HeaderKey] = ToJson(members), [BodyKey] = body.ToJson() }, [.. members, body]);
    }

    /// <summary>A chord with a group (or a single signature) as header.</summary>
    public static Signature Chord(Signature header, Signature body)
    {
        ArgumentNullException.ThrowIfNull(header);
        return Chord(header.SubtaskType is GroupType or ChainType ? Tasks(header) : [header], body);
    }

    /// <summary>
    /// Calls <paramref name="task"/> once per item, in the one worker that runs it (Celery's <c>task.map(it)</c>, sent as the
    /// task <c>celery.map</c>); the result is the list of results. Not parallel: use a group for that.
    /// </summary>
    public static Signature Map(Signature task, IEnumerable<object?> items) => MapLike(MapTask, task, items, null);

    /// <summary>As <see cref="Map"/>, each item spread as the task's arguments (Celery's <c>task.starmap(it)</c>).</summary>
    public static Signature Starmap(Signature task, IEnumerable<IEnumerable<object?>> items) =>
        MapLike(StarmapTask, task, items.Select(i => (object?)Signature.ToArray(i)), null);

    /// <summary>
    /// Splits the items into slices of <paramref name="n"/> and runs each slice as a <c>celery.starmap</c> task, in parallel
    /// (Celery's <c>task.chunks(it, n)</c>): the result is a group result of lists.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public static Signature Chunks(Signature task, IEnumerable<IEnumerable<object?>> items, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return MapLike(ChunksTask, task, items.Select(i => (object?)Signature.ToArray(i)), n);
    }

    /// <summary>The group of <c>celery.starmap</c> tasks a <see cref="Chunks"/> signature sends (Celery's <c>chunks.group()</c>).</summary>
    /// <exception cref="ArgumentException">Not a chunks signature.</exception>
    public static Signature ChunksGroup(Signature chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var kwargs = chunks.KwargsNode;
        if (chunks.Task != ChunksTask || kwargs[TaskKey] is not JsonObject task || kwargs[ItKey] is not JsonArray items || kwargs[NKey] is not JsonValue nv || !nv.TryGetValue<int>(out var n) || n < 1)
        {
            throw new ArgumentException($"not a chunks signature: {chunks.ToJson().ToJsonString()}", nameof(chunks));
        }

        var inner = Signature.FromJson(task).WithApp(chunks.App);
        var parts = new List<Signature>();
        for (var i = 0; i < items.Count; i += n)
        {
            var part = new JsonArray();
            for (var j = i; j < Math.Min(i + n, items.Count); j++)
            {
                part.Add(items[j]?.DeepClone());
            }

            parts.Add(MapLike(StarmapTask, inner, part.Select(p => (object?)p), null));
        }

        return Group(parts);
    }

    /// <summary>The steps of a chain or the members of a group.</summary>
    public static IReadOnlyList<Signature> Tasks(Signature composite)
    {
        ArgumentNullException.ThrowIfNull(composite);
        return composite.KwargsNode[TasksKey] switch
        {
            JsonArray list => list.Select(n => Signature.FromJson(n).WithApp(composite.App)).ToList(),
            null => [],
            var other => throw new MessageDecodeException($"{composite.Task}: 'tasks' must be a list of signatures, got {other.ToJsonString()}"),
        };
    }

    /// <summary>A chord's header (as a group) and body.</summary>
    /// <exception cref="MessageDecodeException">The chord has no header or body.</exception>
    public static (Signature Header, Signature Body) ChordParts(Signature chord)
    {
        ArgumentNullException.ThrowIfNull(chord);
        var header = chord.KwargsNode[HeaderKey] switch
        {
            JsonArray list => Group(list.Select(n => Signature.FromJson(n).WithApp(chord.App))),
            JsonObject single when Signature.Text(single[SubtaskTypeKey]) == GroupType => Signature.FromJson(single),
            JsonObject single => Group(Signature.FromJson(single).WithApp(chord.App)),
            _ => throw new MessageDecodeException($"chord without a header: {chord.ToJson().ToJsonString()}"),
        };
        var body = chord.KwargsNode[BodyKey] is JsonObject b
            ? Signature.FromJson(b)
            : throw new MessageDecodeException($"chord without a body: {chord.ToJson().ToJsonString()}");
        return (header.WithApp(chord.App), body.WithApp(chord.App));
    }

    /// <summary>
    /// Celery's <c>|</c>: chains grow (a chain's <c>link_error</c> moves onto its tasks), a group followed by anything
    /// becomes a chord, a chain ending in a group or chord followed by a task becomes that chord, a chord followed by a
    /// task gets a longer body.
    /// </summary>
    internal static Signature Pipe(Signature left, Signature right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        switch (left.SubtaskType)
        {
            case GroupType:
                return Chord(left, right);
            case ChordType when right.SubtaskType is not (GroupType or ChainType):
                return WithBody(left, ChordParts(left).Body | right);
            case ChainType:
                var steps = Unchain(left);
                if (right.SubtaskType == ChainType)
                {
                    return ChainOf([.. steps, .. Unchain(right)]);
                }

                if (right.SubtaskType != GroupType && steps.Count > 0 && steps[^1].SubtaskType == GroupType)
                {
                    steps[^1] = Chord(steps[^1], right);
                    return ChainOf(steps);
                }

                if (right.SubtaskType != GroupType && steps.Count > 0 && steps[^1].SubtaskType == ChordType)
                {
                    steps[^1] = WithBody(steps[^1], ChordParts(steps[^1]).Body | right);
                    return ChainOf(steps);
                }

                return ChainOf([.. steps, UnrollSingle(right)]);
            default:
                return right.SubtaskType == ChainType ? ChainOf([left, .. Unchain(right)]) : ChainOf([left, UnrollSingle(right)]);
        }
    }

    private static Signature ChainOf(IReadOnlyList<Signature> steps) =>
        Composite(ChainTask, ChainType, new JsonObject { [TasksKey] = ToJson(steps) }, steps);

    /// <summary>Celery's <c>unchain_tasks</c>: the chain's errbacks go onto each of its tasks.</summary>
    private static List<Signature> Unchain(Signature chain)
    {
        var steps = Tasks(chain).ToList();
        if (chain.OptionsNode[LinkError] is JsonArray errbacks)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                foreach (var e in errbacks)
                {
                    steps[i] = steps[i].LinkError(Signature.FromJson(e));
                }
            }
        }

        return steps;
    }

    /// <summary>Celery's <c>maybe_unroll_group</c>: a group of one is that one task.</summary>
    private static Signature UnrollSingle(Signature s) =>
        s.SubtaskType == GroupType && Tasks(s) is { Count: 1 } only ? only[0] : s;

    private static Signature WithBody(Signature chord, Signature body)
    {
        var kwargs = (JsonObject)chord.KwargsNode.DeepClone();
        kwargs[BodyKey] = body.ToJson();
        return chord.With(kwargs: kwargs);
    }

    private static Signature MapLike(string builtin, Signature task, IEnumerable<object?> items, int? n)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(items);
        var kwargs = new JsonObject { [TaskKey] = task.ToJson(), [ItKey] = Signature.ToArray(items) };
        if (n is { } size)
        {
            kwargs[NKey] = size;
        }

        // Celery's xmap/xstarmap/chunks are immutable: a parent's result is never prepended.
        return new Signature(builtin, [], kwargs, null, null, immutable: true) { App = task.App };
    }

    private static Signature Composite(string task, string type, JsonObject kwargs, IEnumerable<Signature> parts) =>
        new(task, [], kwargs, [], type) { App = parts.Select(p => p.App).FirstOrDefault(a => a is not null) };

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
