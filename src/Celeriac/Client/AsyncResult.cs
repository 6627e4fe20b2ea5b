using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Client;

/// <summary>
/// A handle on a task's result, by id (Celery's <c>AsyncResult</c>). The state is read from the result
/// backend; the properties show the last state read.
/// </summary>
public class AsyncResult
{
    private ResultMeta? _meta;

    /// <summary>Creates a handle; see also <see cref="CeleriacApp.AsyncResult(string)"/>.</summary>
    public AsyncResult(string id, CeleriacApp app)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        App = app ?? throw new ArgumentNullException(nameof(app));
    }

    /// <summary>The task id.</summary>
    public string Id { get; }

    /// <summary>The app.</summary>
    public CeleriacApp App { get; }

    /// <summary>The last state read: PENDING until something is stored.</summary>
    public string State => _meta?.Status ?? TaskStates.Pending;

    /// <summary>The last meta read, or null.</summary>
    public ResultMeta? Meta => _meta;

    /// <summary>Whether the last state read is SUCCESS, FAILURE or REVOKED.</summary>
    public bool Ready => TaskStates.IsReady(State);

    /// <summary>Whether the last state read is SUCCESS.</summary>
    public bool Successful => State == TaskStates.Success;

    /// <summary>Whether the last state read is FAILURE.</summary>
    public bool Failed => State == TaskStates.Failure;

    /// <summary>The traceback of the last state read, if any.</summary>
    public string? Traceback => _meta?.Traceback;

    /// <summary>The result (or exception dict, or STARTED info) of the last state read.</summary>
    public JsonNode? Info => _meta?.Result;

    /// <summary>
    /// The result of the task before this one in the workflow it was sent with (a chain's previous step, a chord's header),
    /// as Celery's <c>result.parent</c>; null for a single task or a handle made from an id.
    /// </summary>
    public AsyncResult? Parent { get; internal set; }

    /// <summary>
    /// The tasks this one sent before it stored its result (callbacks, the next chain step), from the last state read
    /// (Celery's <c>result.children</c>): a <see cref="Canvas.GroupResult"/> for a group.
    /// </summary>
    public IReadOnlyList<AsyncResult> Children =>
        _meta?.Children is { } children ? [.. children.Select(c => Canvas.ResultTuples.FromTuple(c, App)).OfType<AsyncResult>()] : [];

    /// <summary>Reads the current state from the backend.</summary>
    public async ValueTask<string> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var meta = await App.Backend.GetAsync(Id, cancellationToken).ConfigureAwait(false);
        if (meta is not null)
        {
            _meta = meta;
        }

        return State;
    }

    /// <summary>Reads and returns the current state.</summary>
    public ValueTask<string> GetStateAsync(CancellationToken cancellationToken = default) => RefreshAsync(cancellationToken);

    /// <summary>Reads the state and tells whether it is ready.</summary>
    public async ValueTask<bool> IsReadyAsync(CancellationToken cancellationToken = default) =>
        TaskStates.IsReady(await RefreshAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Reads the state and tells whether it is SUCCESS.</summary>
    public async ValueTask<bool> IsSuccessfulAsync(CancellationToken cancellationToken = default) =>
        await RefreshAsync(cancellationToken).ConfigureAwait(false) == TaskStates.Success;

    /// <summary>Reads the state and tells whether it is FAILURE.</summary>
    public async ValueTask<bool> IsFailedAsync(CancellationToken cancellationToken = default) =>
        await RefreshAsync(cancellationToken).ConfigureAwait(false) == TaskStates.Failure;

    /// <summary>
    /// Waits for the task to be ready and returns its result as JSON. With <paramref name="propagate"/>, a FAILURE
    /// or REVOKED throws <see cref="TaskFailedException"/>; otherwise the exception dict is returned.
    /// </summary>
    /// <exception cref="TimeoutException">Not ready within <paramref name="timeout"/>.</exception>
    /// <exception cref="TaskFailedException">The task failed or was revoked.</exception>
    public virtual async ValueTask<JsonNode?> GetAsync(TimeSpan? timeout = null, bool propagate = true, CancellationToken cancellationToken = default)
    {
        var meta = await WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (propagate && TaskStates.Propagates(meta.Status))
        {
            throw new TaskFailedException(meta.Exception ?? new ExceptionInfo("Exception", "builtins", meta.Result?.DeepClone()), Id, meta.Status, meta.Traceback);
        }

        return meta.Result?.DeepClone();
    }

    /// <summary>Waits for the task and converts its result to <typeparamref name="T"/>.</summary>
    /// <exception cref="TimeoutException">Not ready within <paramref name="timeout"/>.</exception>
    /// <exception cref="TaskFailedException">The task failed or was revoked.</exception>
    public async ValueTask<T?> GetAsync<T>(TimeSpan? timeout = null, bool propagate = true, CancellationToken cancellationToken = default) =>
        KombuValues.FromNode<T>(await GetAsync(timeout, propagate, cancellationToken).ConfigureAwait(false));

    /// <summary>Deletes the stored result.</summary>
    public virtual async ValueTask ForgetAsync(CancellationToken cancellationToken = default)
    {
        await App.Backend.ForgetAsync(Id, cancellationToken).ConfigureAwait(false);
        _meta = null;
    }

    /// <summary>
    /// Revokes the task: workers discard it when it arrives, or cancel it when running and
    /// <paramref name="terminate"/> is set. Broadcast to every worker on the broker.
    /// </summary>
    public ValueTask RevokeAsync(bool terminate = false, CancellationToken cancellationToken = default) =>
        App.RevokeAsync(Id, terminate, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Id;

    private async ValueTask<ResultMeta> WaitAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (_meta is { } known && TaskStates.IsReady(known.Status))
        {
            return known;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            cts.CancelAfter(t);
        }

        try
        {
            _meta = await App.Backend.WaitForReadyAsync(Id, cts.Token).ConfigureAwait(false);
            return _meta;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"task {Id} was not ready within {timeout}");
        }
    }
}
