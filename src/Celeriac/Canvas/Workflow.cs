using System.Text.Json.Nodes;

namespace Celeriac.Canvas;

/// <summary>
/// Celery's canvas primitives as signatures in Celery's wire form: <c>chain</c>, <c>group</c>, <c>chord</c>.
/// <c>using static Celeriac.Canvas.Workflow;</c> lets a workflow read as in Python: <c>Chord(Group(a, b), c)</c>.
/// Source: celery/canvas.py.
/// </summary>
public static class Workflow
{
    /// <summary>Builtin name of a chain signature.</summary>
    public const string ChainTask = "celery.chain";

    /// <summary>Builtin name of a group signature.</summary>
    public const string GroupTask = "celery.group";

    /// <summary>Builtin name of a chord signature.</summary>
    public const string ChordTask = "celery.chord";

    /// <summary>Each task receives the result of the one before (nested chains are flattened).</summary>
    public static Signature Chain(params Signature[] tasks) => Chain((IEnumerable<Signature>)tasks);

    /// <summary>Each task receives the result of the one before (nested chains are flattened).</summary>
    /// <exception cref="ArgumentException">No tasks.</exception>
    public static Signature Chain(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var steps = new List<Signature>();
        foreach (var t in tasks)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (t.SubtaskType == "chain" && t.Options.Count == 0 && t.Args.Count == 0)
            {
                steps.AddRange(Tasks(t));
            }
            else
            {
                steps.Add(t);
            }
        }

        if (steps.Count == 0)
        {
            throw new ArgumentException("a chain needs at least one task", nameof(tasks));
        }

        return Composite(ChainTask, "chain", new JsonObject { ["tasks"] = ToJson(steps) }, steps);
    }

    /// <summary>The tasks run in parallel; the result is the list of their results, in order.</summary>
    public static Signature Group(params Signature[] tasks) => Group((IEnumerable<Signature>)tasks);

    /// <summary>The tasks run in parallel; the result is the list of their results, in order.</summary>
    public static Signature Group(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var members = tasks.ToList();
        return Composite(GroupTask, "group", new JsonObject { ["tasks"] = ToJson(members) }, members);
    }

    /// <summary>A group whose list of results is passed to <paramref name="body"/> once every member has ended.</summary>
    public static Signature Chord(IEnumerable<Signature> header, Signature body) => Chord(Group(header), body);

    /// <summary>A group whose list of results is passed to <paramref name="body"/> once every member has ended.</summary>
    /// <exception cref="ArgumentException">The header is not a group.</exception>
    public static Signature Chord(Signature header, Signature body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(body);
        if (header.SubtaskType != "group")
        {
            header = Group(header);
        }

        return Composite(ChordTask, "chord", new JsonObject { ["kwargs"] = new JsonObject(), ["header"] = header.ToJson(), ["body"] = body.ToJson() }, [header, body]);
    }

    /// <summary>The steps of a chain or the members of a group.</summary>
    public static IReadOnlyList<Signature> Tasks(Signature composite)
    {
        ArgumentNullException.ThrowIfNull(composite);
        var list = composite.Kwargs["tasks"] as JsonArray ?? [];
        return list.Select(n => Signature.FromJson(n)).Select(s => Adopt(s, composite.App)).ToList();
    }

    /// <summary>A chord's header (as a group) and body.</summary>
    public static (Signature Header, Signature Body) ChordParts(Signature chord)
    {
        ArgumentNullException.ThrowIfNull(chord);
        var header = chord.Kwargs["header"] switch
        {
            JsonArray list => Group(list.Select(Signature.FromJson)),
            var node => Signature.FromJson(node),
        };
        return (Adopt(header, chord.App), Adopt(Signature.FromJson(chord.Kwargs["body"]), chord.App));
    }

    /// <summary>Celery's <c>|</c>: chains grow, a group followed by a task becomes a chord, a chord's body is extended.</summary>
    internal static Signature Pipe(Signature left, Signature right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.SubtaskType == "group" && right.SubtaskType is null or "chain")
        {
            return Chord(left, right);
        }

        if (left.SubtaskType == "chord" && left.Options.Count == 0)
        {
            var (header, body) = ChordParts(left);
            return Chord(header, body | right);
        }

        return Chain(left, right);
    }

    private static Signature Adopt(Signature s, CeleriacApp? app) => s.App is null && app is not null ? new Signature(s.Task, s.Args, s.Kwargs, s.Options, s.SubtaskType, s.IsImmutable) { App = app } : s;

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
