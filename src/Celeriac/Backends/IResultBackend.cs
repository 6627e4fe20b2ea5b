using Celeriac.Protocol;

namespace Celeriac.Backends;

/// <summary>
/// Stores and reads task states in Celery's meta format. Implementations: memory://, sqlite://, redis://, rpc://.
/// </summary>
public interface IResultBackend : IAsyncDisposable
{
    /// <summary>What this backend can do.</summary>
    ResultBackendCapabilities Capabilities { get; }

    /// <summary>
    /// Stores a state. A stored SUCCESS is never overwritten (Celery reads before every write), so a late
    /// duplicate cannot clobber a result.
    /// </summary>
    ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default);

    /// <summary>The stored state, or null when nothing is stored (PENDING).</summary>
    ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Waits until the task is ready (SUCCESS, FAILURE or REVOKED); cancel to stop waiting.</summary>
    ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored state.</summary>
    ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default);
}
