namespace Celeriac.Client;

/// <summary>An <see cref="AsyncResult"/> whose result converts to <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The task's return type.</typeparam>
public sealed class AsyncResult<T> : AsyncResult
{
    /// <summary>Creates a handle.</summary>
    public AsyncResult(string id, CeleriacApp app)
        : base(id, app)
    {
    }

    /// <summary>Waits for the task and returns its result.</summary>
    /// <exception cref="TimeoutException">Not ready within <paramref name="timeout"/>.</exception>
    /// <exception cref="TaskFailedException">The task failed or was revoked.</exception>
    public ValueTask<T?> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GetAsync<T>(timeout, propagate: true, cancellationToken);
}
