using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;
using static Celeriac.Canvas.CanvasNames;

namespace Celeriac.Canvas;

/// <summary>
/// A task call that has not been sent yet, in Celery's signature dict form (<c>task</c>, <c>args</c>, <c>kwargs</c>,
/// <c>options</c>, <c>subtask_type</c>, <c>immutable</c>). Immutable: every change returns a new signature.
/// Chains, groups and chords are signatures too, told apart by <see cref="SubtaskType"/>; see <see cref="Workflow"/>.
/// Source: celery/canvas.py (Signature).
/// </summary>
public sealed class Signature
{
    /// <summary>Creates a signature; the nodes are copied.</summary>
    /// <param name="task">The task name (<c>celery.chain</c>, <c>celery.group</c>, <c>celery.chord</c> for composites).</param>
    /// <param name="args">Partial positional arguments.</param>
    /// <param name="kwargs">Partial keyword arguments.</param>
    /// <param name="options">Celery's <c>apply_async</c> options (<c>queue</c>, <c>countdown</c>, <c>link</c>, ...).</param>
    /// <param name="subtaskType"><c>null</c>, <c>chain</c>, <c>group</c> or <c>chord</c>.</param>
    /// <param name="immutable">When true the parent's result is not prepended to the arguments.</param>
    public Signature(string task, JsonArray? args = null, JsonObject? kwargs = null, JsonObject? options = null, string? subtaskType = null, bool immutable = false)
        : this(task, (JsonArray?)args?.DeepClone() ?? [], (JsonObject?)kwargs?.DeepClone() ?? [], (JsonObject?)options?.DeepClone() ?? [], subtaskType, immutable, takeOwnership: true)
    {
    }

    // Keeps the nodes as they are: every caller passes fresh copies nobody else holds.
    private Signature(string task, JsonArray args, JsonObject kwargs, JsonObject options, string? subtaskType, bool immutable, bool takeOwnership)
    {
        ArgumentException.ThrowIfNullOrEmpty(task);
        System.Diagnostics.Debug.Assert(takeOwnership, "the nodes are taken over, not copied");
        Task = task;
        ArgsNode = args;
        KwargsNode = kwargs;
        OptionsNode = options;
        SubtaskType = subtaskType;
        IsImmutable = immutable;
    }

    /// <summary>The task name.</summary>
    public string Task { get; }

    /// <summary>Partial positional arguments (a copy).</summary>
    public JsonArray Args => (JsonArray)ArgsNode.DeepClone();

    /// <summary>Partial keyword arguments (a copy).</summary>
    public JsonObject Kwargs => (JsonObject)KwargsNode.DeepClone();

    /// <summary>The call options (a copy).</summary>
    public JsonObject Options => (JsonObject)OptionsNode.DeepClone();

    /// <summary><c>null</c> for a task (also map, starmap and chunks); <c>chain</c>, <c>group</c> or <c>chord</c>.</summary>
    public string? SubtaskType { get; }

    /// <summary>Whether the parent's result is left out of the arguments.</summary>
    public bool IsImmutable { get; }

    /// <summary>The app that sends it, when made from a task or from signatures that had one.</summary>
    public CeleriacApp? App { get; init; }

    /// <summary>The task id this signature will be sent with, once frozen or set (a group's id for a group).</summary>
    public string? Id => Text(OptionsNode[TaskId]);

    internal JsonArray ArgsNode { get; }

    internal JsonObject KwargsNode { get; }

    internal JsonObject OptionsNode { get; }

    /// <summary>A signature of a task by name (it may be registered only on another worker, e.g. a Python one).</summary>
    public static Signature Create(string task, params object?[] args) => new(task, ToArray(args), [], [], null, false, takeOwnership: true);

    /// <summary>Reads Celery's signature dict.</summary>
    /// <exception cref="MessageDecodeException">The node is not a signature dict.</exception>
    public static Signature FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || Text(o[TaskKey]) is not { Length: > 0 } task)
        {
            throw new MessageDecodeException($"not a signature: {node?.ToJsonString() ?? "null"} (expected an object with a 'task' name)");
        }

        var immutable = o[ImmutableKey] is JsonValue iv && iv.TryGetValue<bool>(out var b) && b;
        var args = o[ArgsKey] switch
        {
            JsonArray a => (JsonArray)a.DeepClone(),
            null => [],
            var other => throw new MessageDecodeException($"signature of {task}: 'args' must be a list, got {other.ToJsonString()}"),
        };
        var kwargs = o[KwargsKey] switch
        {
            JsonObject k => (JsonObject)k.DeepClone(),
            null => [],
            var other => throw new MessageDecodeException($"signature of {task}: 'kwargs' must be a dict, got {other.ToJsonString()}"),
        };
        var options = o[OptionsKey] as JsonObject is { } opts ? (JsonObject)opts.DeepClone() : [];
        return new Signature(task, args, kwargs, options, Text(o[SubtaskTypeKey]), immutable, takeOwnership: true);
    }

    /// <summary>Celery's dict, keys in the order Python writes them.</summary>
    public JsonObject ToJson() => new()
    {
        [TaskKey] = Task,
        [ArgsKey] = ArgsNode.DeepClone(),
        [KwargsKey] = KwargsNode.DeepClone(),
        [OptionsKey] = OptionsNode.DeepClone(),
        [SubtaskTypeKey] = SubtaskType,
        [ImmutableKey] = IsImmutable,
    };

    /// <summary>
    /// Partial application (Celery's <c>clone(args)</c> / <c>partial</c>): new positional arguments go before the
    /// signature's own. An immutable signature ignores them. A chain passes them to its first task, a group to every
    /// member, a chord to its header's members (each member's own immutability still holds).
    /// </summary>
    public Signature Apply(params object?[] args) => Apply(ToArray(args), null);

    /// <summary>Partial application with JSON arguments; new keyword arguments win over the signature's own.</summary>
    public Signature Apply(JsonArray? args, JsonObject? kwargs)
    {
        if (IsImmutable || ((args is null || args.Count == 0) && (kwargs is null || kwargs.Count == 0)))
        {
            return this;
        }

        switch (SubtaskType)
        {
            case ChainType:
                var steps = Workflow.Tasks(this).ToList();
                if (steps.Count > 0)
                {
                    steps[0] = steps[0].Apply(args, kwargs);
                }

                return With(kwargs: WithTasks(KwargsNode, steps));
            case GroupType:
                return With(kwargs: WithTasks(KwargsNode, Workflow.Tasks(this).Select(m => m.Apply(args, kwargs))));
            case ChordType:
                return WithChordHeader(h => h.Apply(args, kwargs));
        }

        var merged = (JsonArray?)args?.DeepClone() ?? [];
        foreach (var a in ArgsNode)
        {
            merged.Add(a?.DeepClone());
        }

        var mergedKwargs = (JsonObject)KwargsNode.DeepClone();
        foreach (var (k, v) in kwargs ?? [])
        {
            mergedKwargs[k] = v?.DeepClone();
        }

        return With(args: merged, kwargs: mergedKwargs);
    }

    /// <summary>
    /// A copy that does not receive the parent's result (Celery's <c>si()</c> / <c>set(immutable=True)</c>). A group
    /// makes each member immutable and a chord its header's members, as Celery's <c>set_immutable</c> does.
    /// </summary>
    public Signature Immutable() => WithImmutable(true);

    /// <summary>Sets or clears immutability (see <see cref="Immutable"/>).</summary>
    public Signature WithImmutable(bool immutable)
    {
        switch (SubtaskType)
        {
            case GroupType:
                return With(kwargs: WithTasks(KwargsNode, Workflow.Tasks(this).Select(s => s.WithImmutable(immutable))));
            case ChordType:
                return WithChordHeader(h => h.WithImmutable(immutable));
            default:
                return IsImmutable == immutable ? this : With(immutable: immutable);
        }
    }

    /// <summary>A copy with this option set (Celery's <c>set(**options)</c>): <c>queue</c>, <c>countdown</c>, <c>priority</c>, ...</summary>
    public Signature Set(string option, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(option);
        var options = (JsonObject)OptionsNode.DeepClone();
        options[option] = KombuValues.ToNode(value);
        return With(options: options);
    }

    /// <summary>A copy with these options set (the given ones win, as Celery's <c>set</c>).</summary>
    public Signature WithOptions(JsonObject options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var merged = (JsonObject)OptionsNode.DeepClone();
        foreach (var (k, v) in options)
        {
            merged[k] = v?.DeepClone();
        }

        return With(options: merged);
    }

    /// <summary>A copy with these call options set (<c>queue</c>, <c>countdown</c>, <c>priority</c>, <c>task_id</c>, ...).</summary>
    public Signature WithOptions(ApplyOptions options) => WithOptions(SignatureOptions.From(options));

    /// <summary>
    /// Adds a callback applied with this task's result when it succeeds (Celery's <c>link</c>). A chain links its last
    /// task, a chord its body; a group links its first member with an immutable copy, as Celery does (use a chord to
    /// act on every member's result).
    /// </summary>
    public Signature Link(Signature callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        switch (SubtaskType)
        {
            case GroupType:
                var members = Workflow.Tasks(this).ToList();
                if (members.Count == 0)
                {
                    throw new InvalidOperationException("cannot link an empty group");
                }

                members[0] = members[0].Link(callback.Immutable());
                return With(kwargs: WithTasks(KwargsNode, members));
            case ChordType:
                return WithChordBody(b => b.Link(callback));
            default:
                return AppendOption(CanvasNames.Link, callback);
        }
    }

    /// <summary>
    /// Adds an errback applied when this task fails (Celery's <c>link_error</c>). Celery calls it with the failed task's id
    /// when its task takes one argument, in-process with <c>(request, exc, traceback)</c> when it takes more. A chain's
    /// errback is set on every task, a group's on every member, a chord's on its body.
    /// </summary>
    public Signature LinkError(Signature errback)
    {
        ArgumentNullException.ThrowIfNull(errback);
        return SubtaskType switch
        {
            GroupType => With(kwargs: WithTasks(KwargsNode, Workflow.Tasks(this).Select(s => s.LinkError(errback)))),
            ChordType => WithChordBody(b => b.LinkError(errback)),
            _ => AppendOption(CanvasNames.LinkError, errback),
        };
    }

    /// <summary>
    /// A copy with every task id the workflow needs assigned (kept where already set), so that its results can be
    /// followed before it is sent (Celery's <c>freeze</c>). <paramref name="taskId"/> is the id of the task whose
    /// result is the workflow's: the task, a chain's last task, a chord's body; a group's id for a group.
    /// </summary>
    public Signature Freeze(string? taskId = null) => CanvasFreezer.Freeze(this, new FreezeScope { TaskId = taskId }, App?.Oid);

    /// <summary>Chains two signatures: the left one's result is passed to the right one (Celery's <c>|</c>).</summary>
    public static Signature operator |(Signature left, Signature right) => Workflow.Pipe(left, right);

    /// <summary>Same as <c>|</c>, for languages without operator overloading.</summary>
    public Signature BitwiseOr(Signature other) => this | other;

    /// <summary>Sends it with <see cref="App"/>: a task, a chain's first task, a group's members, a chord's header.</summary>
    /// <returns>The workflow's result: the task's, a chain's last task's, a chord's body's; a <see cref="GroupResult"/> for a group.</returns>
    /// <exception cref="InvalidOperationException">The signature has no app (made from a name alone): use the overload taking one.</exception>
    public Task<AsyncResult> ApplyAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(RequireApp(), null, null, null, cancellationToken);

    /// <summary>Sends it with <see cref="App"/> and these call options, merged over its own as Celery does.</summary>
    public Task<AsyncResult> ApplyAsync(ApplyOptions options, CancellationToken cancellationToken = default) =>
        ApplyAsync(RequireApp(), null, null, options, cancellationToken);

    /// <summary>
    /// Sends it with <paramref name="app"/>, partial arguments first (Celery's <c>apply_async(args, kwargs, **options)</c>);
    /// the call options win over the signature's own, except a <c>group_id</c> it already has.
    /// </summary>
    public Task<AsyncResult> ApplyAsync(CeleriacApp app, JsonArray? args = null, JsonObject? kwargs = null, ApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new CanvasSender(app).ApplyAsync(Apply(args, kwargs), options is null ? null : SignatureOptions.From(options), fromClient: true, cancellationToken);
    }

    /// <summary>Sends it with these positional arguments first (Celery's <c>delay</c>).</summary>
    public Task<AsyncResult> DelayAsync(params object?[] args) => ApplyAsync(RequireApp(), ToArray(args));

    /// <inheritdoc />
    public override string ToString() => SubtaskType switch
    {
        ChainType => string.Join(" | ", Workflow.Tasks(this)),
        GroupType => "group([" + string.Join(", ", Workflow.Tasks(this)) + "])",
        ChordType => "chord(" + Workflow.ChordParts(this).Header + ", " + Workflow.ChordParts(this).Body + ")",
        _ => $"{Task}({string.Join(", ", ArgsNode.Select(a => PythonRepr.Of(a)).Concat(KwargsNode.Select(kv => kv.Key + "=" + PythonRepr.Of(kv.Value))))})",
    };

    internal static JsonArray ToArray(IEnumerable<object?>? values)
    {
        var array = new JsonArray();
        foreach (var v in values ?? [])
        {
            array.Add(v is Signature s ? s.ToJson() : KombuValues.ToNode(v));
        }

        return array;
    }

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A copy with some parts replaced; the given nodes are taken over, not copied.</summary>
    internal Signature With(JsonArray? args = null, JsonObject? kwargs = null, JsonObject? options = null, bool? immutable = null, string? task = null) =>
        new(task ?? Task, args ?? (JsonArray)ArgsNode.DeepClone(), kwargs ?? (JsonObject)KwargsNode.DeepClone(), options ?? (JsonObject)OptionsNode.DeepClone(), SubtaskType, immutable ?? IsImmutable, takeOwnership: true) { App = App };

    internal Signature WithApp(CeleriacApp? app) => app is null || App is not null ? this : new(Task, (JsonArray)ArgsNode.DeepClone(), (JsonObject)KwargsNode.DeepClone(), (JsonObject)OptionsNode.DeepClone(), SubtaskType, IsImmutable, takeOwnership: true) { App = app };

    private CeleriacApp RequireApp() =>
        App ?? throw new InvalidOperationException($"the signature {this} has no app: call ApplyAsync(app, ...) or make it from app.GetTask(name).Signature(...)");

    /// <summary>A chord with its header changed; a header that is a list (not frozen yet) stays a list, a group stays that group.</summary>
    private Signature WithChordHeader(Func<Signature, Signature> change)
    {
        var kwargs = (JsonObject)KwargsNode.DeepClone();
        var header = change(Workflow.ChordParts(this).Header);
        kwargs[HeaderKey] = KwargsNode[HeaderKey] is JsonArray ? Map(Workflow.Tasks(header), s => s) : header.ToJson();
        return With(kwargs: kwargs);
    }

    private Signature WithChordBody(Func<Signature, Signature> change)
    {
        var kwargs = (JsonObject)KwargsNode.DeepClone();
        kwargs[BodyKey] = change(Workflow.ChordParts(this).Body).ToJson();
        return With(kwargs: kwargs);
    }

    private Signature AppendOption(string option, Signature signature)
    {
        var options = (JsonObject)OptionsNode.DeepClone();
        var list = options[option] switch
        {
            JsonArray a => a,
            JsonObject single => [single.DeepClone()],
            _ => [],
        };
        var dict = signature.ToJson();
        // Celery's append_to_list_option: the same signature is not linked twice.
        if (!list.Any(existing => JsonNode.DeepEquals(existing, dict)))
        {
            list.Add(dict);
        }

        options[option] = list;
        return With(options: options);
    }

    private static JsonObject WithTasks(JsonObject kwargs, IEnumerable<Signature> tasks)
    {
        var copy = (JsonObject)kwargs.DeepClone();
        copy[TasksKey] = Map(tasks, s => s);
        return copy;
    }

    private static JsonArray Map(IEnumerable<Signature> signatures, Func<Signature, Signature> change)
    {
        var array = new JsonArray();
        foreach (var s in signatures)
        {
            array.Add(change(s).ToJson());
        }

        return array;
    }
}
