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

    /// <summary>
    /// Called by the client before it publishes a task (Celery's <c>on_task_call</c>): the <c>rpc://</c> backend
    /// declares its reply queue here, so that no result can arrive before the queue exists. Others do nothing.
    /// </summary>
    ValueTask BeforePublishAsync(string taskId, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Waits until the task is ready (SUCCESS, FAILURE or REVOKED); cancel to stop waiting.</summary>
    ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored state.</summary>
    ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Saves a group's member ids as Celery's <c>GroupResult.save()</c> (<c>celery-taskset-meta-&lt;gid&gt;</c>).</summary>
    ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default);

    /// <summary>The member ids of a saved group, or null when none is saved.</summary>
    ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a saved group.</summary>
    ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Called by the client before it publishes a chord's header tasks, so that the join knows the header's size and
    /// order (on Redis: <c>SETEX celery-taskset-meta-&lt;gid&gt;.s</c>, as Celery 5.2). <paramref name="headerIds"/> are the
    /// ids that will report, in header order. Only called when <see cref="ResultBackendCapabilities.JoinsChords"/>.
    /// </summary>
    ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Called by the worker when a chord header task ends (any state). Returns the header's results ordered by
    /// position when this was the last one to end (the caller then applies the body), otherwise null: exactly one
    /// call per chord returns them, even with many workers, and a task that reports twice counts once. A part that comes
    /// after the join's state is gone (completed or expired) returns null.
    /// </summary>
    ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default);

    /// <summary>Deletes expired results where the store does not expire them itself (Celery's <c>backend.cleanup()</c>, run by <c>celery.backend_cleanup</c>).</summary>
    ValueTask CleanupAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
