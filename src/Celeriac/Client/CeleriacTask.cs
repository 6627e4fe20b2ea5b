using Celeriac.Tasks;

namespace Celeriac.Client;

/// <summary>
/// A callable task handle, returned by <see cref="CeleriacApp.Task(string, Delegate, TaskSettings?)"/>:
/// <c>await add.DelayAsync(2, 3)</c>.
/// </summary>
public class CeleriacTask
{
    internal CeleriacTask(CeleriacApp app, TaskDefinition definition)
    {
        App = app;
        Definition = definition;
    }

    /// <summary>The task name.</summary>
    public string Name => Definition.Name;

    /// <summary>The app.</summary>
    public CeleriacApp App { get; }

    /// <summary>The registered definition.</summary>
    public TaskDefinition Definition { get; }

    /// <summary>Sends the task with positional arguments (Celery's <c>delay</c>).</summary>
    public Task<AsyncResult> DelayAsync(params object?[] args) => ApplyAsync(args);

    /// <summary>Sends the task with arguments and options (Celery's <c>apply_async</c>).</summary>
    public async Task<AsyncResult> ApplyAsync(
        object?[]? args = null,
        IReadOnlyDictionary<string, object?>? kwargs = null,
        ApplyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options = WithTaskDefaults(options);
        var id = await SendAsync(App, Name, args, kwargs, options, cancellationToken).ConfigureAwait(false);
        return new AsyncResult(id, App);
    }

    /// <summary>A signature of this task with partial arguments (Celery's <c>task.s(*args)</c>).</summary>
    public Canvas.Signature Signature(params object?[] args) =>
        new(Name, Canvas.Signature.ToArray(args)) { App = App };

    /// <summary>A signature with keyword arguments and options (Celery's <c>task.signature(args, kwargs, **options)</c>).</summary>
    public Canvas.Signature Signature(object?[]? args, IReadOnlyDictionary<string, object?>? kwargs, ApplyOptions? options = null)
    {
        var kw = new System.Text.Json.Nodes.JsonObject();
        foreach (var (k, v) in kwargs ?? new Dictionary<string, object?>())
        {
            kw[k] = Protocol.KombuValues.ToNode(v);
        }

        var sig = new Canvas.Signature(Name, Canvas.Signature.ToArray(args), kw) { App = App };
        return options is null ? sig : sig.WithOptions(Canvas.SignatureOptions.From(options));
    }

    /// <summary>An immutable signature: it ignores its parent's result (Celery's <c>task.si(*args)</c>).</summary>
    public Canvas.Signature ImmutableSignature(params object?[] args) => Signature(args).Immutable();

    /// <summary>Calls this task once per item in one worker, the item as its argument (Celery's <c>task.map(it)</c>).</summary>
    public Canvas.Signature Map(IEnumerable<object?> items) => Canvas.Workflow.Map(Signature(), items);

    /// <summary>Calls this task once per item in one worker, the item spread as its arguments (Celery's <c>task.starmap(it)</c>).</summary>
    public Canvas.Signature Starmap(IEnumerable<IEnumerable<object?>> items) => Canvas.Workflow.Starmap(Signature(), items);

    /// <summary>Runs this task over the items in slices of <paramref name="n"/>, the slices in parallel (Celery's <c>task.chunks(it, n)</c>).</summary>
    public Canvas.Signature Chunks(IEnumerable<IEnumerable<object?>> items, int n) => Canvas.Workflow.Chunks(Signature(), items, n);

    /// <summary>Sends a task; with <c>link</c> or <c>link_error</c> through the canvas, which embeds them in the message.</summary>
    internal static async Task<string> SendAsync(CeleriacApp app, string name, object?[]? args, IReadOnlyDictionary<string, object?>? kwargs, ApplyOptions options, CancellationToken cancellationToken)
    {
        if (options.Link is not { Count: > 0 } && options.LinkError is not { Count: > 0 })
        {
            return await app.Producer.SendAsync(name, args, kwargs, options, cancellationToken).ConfigureAwait(false);
        }

        var kw = new System.Text.Json.Nodes.JsonObject();
        foreach (var (k, v) in kwargs ?? new Dictionary<string, object?>())
        {
            kw[k] = Protocol.KombuValues.ToNode(v);
        }

        var signature = new Canvas.Signature(name, Canvas.Signature.ToArray(args), kw, Canvas.SignatureOptions.From(options));
        var sent = await signature.ApplyAsync(app, cancellationToken: cancellationToken).ConfigureAwait(false);
        return sent.Id;
    }

    /// <summary>Fills queue and priority from the task's settings when the call does not give them.</summary>
    private protected ApplyOptions WithTaskDefaults(ApplyOptions? options)
    {
        options ??= new ApplyOptions();
        var s = Definition.Settings;
        return options with
        {
            Queue = options.Queue ?? s.Queue,
            Priority = options.Priority ?? s.Priority,
            TimeLimit = options.TimeLimit,
            SoftTimeLimit = options.SoftTimeLimit,
        };
    }
}
