using Celeriac.Tasks;

namespace Celeriac.Client;

/// <summary>A task handle whose results convert to <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The task's return type.</typeparam>
public sealed class CeleriacTask<TResult> : CeleriacTask
{
    internal CeleriacTask(CeleriacApp app, TaskDefinition definition)
        : base(app, definition)
    {
    }

    /// <summary>Sends the task with positional arguments (Celery's <c>delay</c>).</summary>
    public new Task<AsyncResult<TResult>> DelayAsync(params object?[] args) => ApplyAsync(args);

    /// <summary>Sends the task with arguments and options (Celery's <c>apply_async</c>).</summary>
    public new async Task<AsyncResult<TResult>> ApplyAsync(
        object?[]? args = null,
        IReadOnlyDictionary<string, object?>? kwargs = null,
        ApplyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var id = await SendAsync(App, Name, args, kwargs, WithTaskDefaults(options), cancellationToken).ConfigureAwait(false);
        return new AsyncResult<TResult>(id, App);
    }
}
