using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary>
/// A task call that has not been sent yet, in Celery's signature dict form (<c>task</c>, <c>args</c>, <c>kwargs</c>,
/// <c>options</c>, <c>subtask_type</c>, <c>immutable</c>). Immutable: every change returns a new signature.
/// Chains, groups and chords are signatures too, told apart by <see cref="SubtaskType"/>.
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
    {
        ArgumentException.ThrowIfNullOrEmpty(task);
        Task = task;
        Args = (JsonArray?)args?.DeepClone() ?? [];
        Kwargs = (JsonObject?)kwargs?.DeepClone() ?? [];
        Options = (JsonObject?)options?.DeepClone() ?? [];
        SubtaskType = subtaskType;
        IsImmutable = immutable;
    }

    /// <summary>The task name.</summary>
    public string Task { get; }

    /// <summary>Partial positional arguments (a copy is handed to callers that change it).</summary>
    public JsonArray Args { get; }

    /// <summary>Partial keyword arguments.</summary>
    public JsonObject Kwargs { get; }

    /// <summary>The call options.</summary>
    public JsonObject Options { get; }

    /// <summary><c>null</c> for a plain task; <c>chain</c>, <c>group</c> or <c>chord</c>.</summary>
    public string? SubtaskType { get; }

    /// <summary>Whether the parent's result is left out of the arguments.</summary>
    public bool IsImmutable { get; }

    /// <summary>The app that sends it, when made from a task or from signatures that had one.</summary>
    public CeleriacApp? App { get; init; }

    /// <summary>The task id this signature will be sent with, once frozen or set.</summary>
    public string? Id => Options["task_id"]?.GetValue<string>();

    /// <summary>A signature of a task by name (it may be registered only on another worker, e.g. a Python one).</summary>
    public static Signature Create(string task, params object?[] args) => new(task, ToArray(args));

    /// <summary>Reads Celery's signature dict.</summary>
    /// <exception cref="MessageDecodeException">The node is not a signature dict.</exception>
    public static Signature FromJson(JsonNode? node)
    {
        if (node is not JsonObject o || o["task"] is not JsonValue taskValue || !taskValue.TryGetValue<string>(out var task) || task.Length == 0)
        {
            throw new MessageDecodeException($"not a signature: {node?.ToJsonString() ?? "null"} (expected an object with a 'task' name)");
        }

        var immutable = o["immutable"] is JsonValue iv && iv.TryGetValue<bool>(out var b) && b;
        var subtaskType = o["subtask_type"] is JsonValue sv && sv.TryGetValue<string>(out var st) ? st : null;
        return new Signature(task, o["args"] as JsonArray, o["kwargs"] as JsonObject, o["options"] as JsonObject, subtaskType, immutable);
    }

    /// <summary>Celery's dict, keys in the order Python writes them.</summary>
    public JsonObject ToJson() => new()
    {
        ["task"] = Task,
        ["args"] = Args.DeepClone(),
        ["kwargs"] = Kwargs.DeepClone(),
        ["options"] = Options.DeepClone(),
        ["subtask_type"] = SubtaskType,
        ["immutable"] = IsImmutable,
    };

    /// <summary>
    /// Partial application as Celery's <c>clone(args, kwargs)</c>: new positional arguments go before the
    /// signature's own, new keyword arguments win. An immutable signature ignores them.
    /// </summary>
    public Signature Apply(params object?[] args) => Apply(ToArray(args), null);

    /// <summary>Partial application with JSON arguments (see <see cref="Apply(object?[])"/>).</summary>
    public Signature Apply(JsonArray? args, JsonObject? kwargs)
    {
        if (IsImmutable || ((args is null || args.Count == 0) && (kwargs is null || kwargs.Count == 0)))
        {
            return this;
        }

        var merged = (JsonArray?)args?.DeepClone() ?? [];
        foreach (var a in Args)
        {
            merged.Add(a?.DeepClone());
        }

        var mergedKwargs = (JsonObject)Kwargs.DeepClone();
        foreach (var (k, v) in kwargs ?? [])
        {
            mergedKwargs[k] = v?.DeepClone();
        }

        return Copy(merged, mergedKwargs, Options, IsImmutable);
    }

    /// <summary>A copy that does not receive the parent's result (Celery's <c>si()</c> / <c>set(immutable=True)</c>).</summary>
    public Signature Immutable() => Copy(Args, Kwargs, Options, immutable: true);

    /// <summary>A copy with these options set (Celery's <c>set(**options)</c>): <c>queue</c>, <c>countdown</c>, <c>priority</c>, ...</summary>
    public Signature Set(string option, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(option);
        var options = (JsonObject)Options.DeepClone();
        options[option] = KombuValues.ToNode(value);
        return Copy(Args, Kwargs, options, IsImmutable);
    }

    /// <summary>A copy with these options merged in (the given ones win).</summary>
    public Signature WithOptions(JsonObject options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var merged = (JsonObject)Options.DeepClone();
        foreach (var (k, v) in options)
        {
            merged[k] = v?.DeepClone();
        }

        return Copy(Args, Kwargs, merged, IsImmutable);
    }

    /// <summary>Adds a callback applied with this task's result when it succeeds (Celery's <c>link</c>).</summary>
    public Signature Link(Signature callback) => AppendOption("link", callback);

    /// <summary>Adds an errback sent with the failed task's id when it fails (Celery's <c>link_error</c>).</summary>
    public Signature LinkError(Signature errback) => AppendOption("link_error", errback);

    /// <summary>A copy with a task id assigned (kept when already set), so its result can be followed before sending.</summary>
    public Signature Freeze(string? taskId = null) =>
        Id is not null && taskId is null ? this : Set("task_id", taskId ?? Guid.NewGuid().ToString());

    /// <summary>Chains two signatures: the left one's result is passed to the right one (Celery's <c>|</c>).</summary>
    public static Signature operator |(Signature left, Signature right) => Workflow.Pipe(left, right);

    /// <summary>Same as <c>|</c>, for languages without operator overloading.</summary>
    public Signature BitwiseOr(Signature other) => this | other;

    /// <summary>Sends it with <see cref="App"/>: a task, or the first step of a chain, or a group's or chord's header.</summary>
    /// <returns>The result of the whole workflow: the last task of a chain, the body of a chord, a <see cref="GroupResult"/> for a group.</returns>
    /// <exception cref="InvalidOperationException">The signature has no app (made from a name alone): use the overload taking one.</exception>
    public Task<Client.AsyncResult> ApplyAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync(App ?? throw new InvalidOperationException($"the signature {this} has no app: call ApplyAsync(app) or make it from app.GetTask(name).Signature(...)"), null, null, cancellationToken);

    /// <summary>Sends it with <paramref name="app"/>, partial arguments first (Celery's <c>apply_async(args, kwargs)</c>).</summary>
    public Task<Client.AsyncResult> ApplyAsync(CeleriacApp app, JsonArray? args = null, JsonObject? kwargs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new CanvasSender(app).ApplyAsync(Apply(args, kwargs), null, cancellationToken);
    }

    /// <summary>Sends it with these positional arguments first (Celery's <c>delay</c>).</summary>
    public Task<Client.AsyncResult> DelayAsync(params object?[] args) =>
        ApplyAsync(App ?? throw new InvalidOperationException($"the signature {this} has no app"), ToArray(args), null);

    /// <inheritdoc />
    public override string ToString() => $"{Task}({string.Join(", ", Args.Select(a => PythonRepr.Of(a)))})";

    internal static JsonArray ToArray(IEnumerable<object?>? values)
    {
        var array = new JsonArray();
        foreach (var v in values ?? [])
        {
            array.Add(KombuValues.ToNode(v));
        }

        return array;
    }

    private Signature Copy(JsonArray args, JsonObject kwargs, JsonObject options, bool immutable) =>
        new(Task, args, kwargs, options, SubtaskType, immutable) { App = App };

    private Signature AppendOption(string option, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var options = (JsonObject)Options.DeepClone();
        var list = options[option] switch
        {
            JsonArray a => a,
            JsonObject single => [single.DeepClone()],
            _ => [],
        };
        list.Add(signature.ToJson());
        options[option] = list;
        return Copy(Args, Kwargs, options, IsImmutable);
    }
}
