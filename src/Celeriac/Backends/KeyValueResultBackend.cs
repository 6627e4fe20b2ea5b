using Celeriac.Protocol;

namespace Celeriac.Backends;

/// <summary>
/// Celery's key-value backend logic — key names, meta JSON, the never-overwrite-SUCCESS rule, expiry — over a
/// few primitives, so Redis, SQLite and memory share it. Source: celery/backends/base.py (KeyValueStoreBackend).
/// </summary>
public abstract class KeyValueResultBackend : IResultBackend
{
    /// <summary>Celery's task key prefix.</summary>
    public const string TaskKeyPrefix = "celery-task-meta-";

    /// <summary>Celery's group key prefix.</summary>
    public const string GroupKeyPrefix = "celery-taskset-meta-";

    /// <summary>Creates the backend.</summary>
    /// <param name="resultExpires">Celery's <c>result_expires</c>; null or zero keeps results forever.</param>
    /// <param name="timeProvider">The clock.</param>
    protected KeyValueResultBackend(TimeSpan? resultExpires, TimeProvider timeProvider)
    {
        ResultExpires = resultExpires is { } e && e > TimeSpan.Zero ? e : null;
        TimeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <summary>How long stored states live.</summary>
    public TimeSpan? ResultExpires { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider TimeProvider { get; }

    /// <inheritdoc />
    public abstract ResultBackendCapabilities Capabilities { get; }

    /// <summary>The key of a task's meta.</summary>
    public static string TaskKey(string taskId) => TaskKeyPrefix + taskId;

    /// <inheritdoc />
    /// <remarks>Read, then write unless a SUCCESS is stored (Celery's rule); a backend that can do both in one step overrides this.</remarks>
    public virtual async ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var key = TaskKey(meta.TaskId);
        var current = await GetValueAsync(key, cancellationToken).ConfigureAwait(false);
        if (current is not null && IsSuccess(current))
        {
            return;
        }

        await SetValueAsync(key, ResultMetaCodec.Encode(meta), ResultExpires, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var value = await GetValueAsync(TaskKey(taskId), cancellationToken).ConfigureAwait(false);
        return value is null ? null : ResultMetaCodec.Decode(value, taskId);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Re-reads whenever <see cref="WatchAsync"/> fires, with a backed-off poll as a floor. A backend with its own
    /// notification lifetime (Redis pub/sub: subscribe, read, wait, unsubscribe) overrides this.
    /// </remarks>
    public virtual async ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var key = TaskKey(taskId);
        var wait = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = WatchAsync(key, cancellationToken);
            var value = await GetValueAsync(key, cancellationToken).ConfigureAwait(false);
            if (value is not null)
            {
                var meta = ResultMetaCodec.Decode(value, taskId);
                if (TaskStates.IsReady(meta.Status))
                {
                    return meta;
                }
            }

            // Woken by the store when it can; otherwise a backed-off re-read caps the latency.
            await WaitAnyAsync(changed, wait, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, MaxPollInterval.Ticks));
        }
    }

    /// <inheritdoc />
    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default) =>
        DeleteValueAsync(TaskKey(taskId), cancellationToken);

    /// <summary>The key of a saved group.</summary>
    public static string GroupKey(string groupId) => GroupKeyPrefix + groupId;

    /// <inheritdoc />
    public ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default) =>
        SetValueAsync(GroupKey(groupId), GroupResultCodec.Encode(groupId, memberIds), ResultExpires, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        var value = await GetValueAsync(GroupKey(groupId), cancellationToken).ConfigureAwait(false);
        return value is null ? null : GroupResultCodec.Decode(value);
    }

    /// <inheritdoc />
    public ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        DeleteValueAsync(GroupKey(groupId), cancellationToken);

    /// <inheritdoc />
    /// <remarks>Celery's key-value join (<c>_apply_chord_incr</c>): the header is saved as a group, which gives the join its size and order.</remarks>
    public virtual ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default) =>
        SaveGroupAsync(groupId, headerIds, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Celery's key-value join counts parts with an atomic counter; this one keeps each part (<c>[1, id, state,
    /// result]</c>, as Redis's <c>.j</c> set does) under its task id, so a task that reports twice (redelivered after a
    /// crash) counts once and the results need not be read back from the tasks' own keys (an <c>ignore_result</c> header
    /// task still gives its result to the body). The part that completes the saved group's size returns the parts in the
    /// group's order and deletes the join. A part that comes when the saved group is gone (the join finished, or expired)
    /// is ignored, as Redis ignores it; Celery would fail the body with "GroupResult no longer exists" even when the part
    /// is a late duplicate of a chord that completed. See decisions/0006. Source: celery/backends/base.py (on_chord_part_return).
    /// </remarks>
    public virtual async ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var members = await RestoreGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        if (members is null)
        {
            return null;
        }

        var (count, added) = await AddChordPartAsync(groupId, meta.TaskId, ChordMember.Encode(meta), ResultExpires, cancellationToken).ConfigureAwait(false);
        if (!added || count != members.Count)
        {
            return null;
        }

        var parts = await ReadChordPartsAsync(groupId, cancellationToken).ConfigureAwait(false);
        var byId = new Dictionary<string, ChordMember>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            var member = ChordMember.Decode(part);
            byId[member.TaskId] = member;
        }

        var results = new List<ChordMember>(members.Count);
        foreach (var id in members)
        {
            results.Add(byId.TryGetValue(id, out var m) ? m : new ChordMember(id, TaskStates.Pending, null));
        }

        await DeleteChordPartsAsync(groupId, cancellationToken).ConfigureAwait(false);
        await DeleteGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc />
    public virtual ValueTask CleanupAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The longest a waiter goes without re-reading when no change notification arrives.</summary>
    protected virtual TimeSpan MaxPollInterval => TimeSpan.FromSeconds(1);

    /// <summary>Releases resources.</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;

    /// <summary>Reads a value; null when missing or expired.</summary>
    protected abstract ValueTask<byte[]?> GetValueAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes a value with an optional time to live, and notifies watchers of the key.</summary>
    protected abstract ValueTask SetValueAsync(string key, byte[] value, TimeSpan? expires, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically adds a chord header task's part to the join of <paramref name="groupId"/> unless that task has one
    /// there already, and gives the join and the saved header group (<see cref="GroupKey"/>) <paramref name="expires"/>
    /// to live from now, as Celery's EXPIRE at every part. Returns the number of tasks in the join and whether this call
    /// added one. A backend that overrides <see cref="ChordPartReturnAsync"/> with its own join need not implement it.
    /// </summary>
    protected virtual ValueTask<(long Count, bool Added)> AddChordPartAsync(string groupId, string taskId, byte[] part, TimeSpan? expires, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not keep chord joins in parts");

    /// <summary>The parts of a chord's join, in any order (see <see cref="AddChordPartAsync"/>).</summary>
    protected virtual ValueTask<IReadOnlyList<byte[]>> ReadChordPartsAsync(string groupId, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not keep chord joins in parts");

    /// <summary>Deletes a chord's join (see <see cref="AddChordPartAsync"/>).</summary>
    protected virtual ValueTask DeleteChordPartsAsync(string groupId, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{GetType().Name} does not keep chord joins in parts");

    /// <summary>Deletes a value.</summary>
    protected abstract ValueTask DeleteValueAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// A task that completes when <paramref name="key"/> may have changed. Must be taken before reading so that
    /// a write between the read and the wait is not missed. Backends that cannot notify return a task that never completes.
    /// </summary>
    protected abstract Task WatchAsync(string key, CancellationToken cancellationToken);

    private async Task WaitAnyAsync(Task changed, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await changed.WaitAsync(wait, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private static bool IsSuccess(byte[] value)
    {
        try
        {
            return ResultMetaCodec.Decode(value).Status == TaskStates.Success;
        }
        catch (MessageDecodeException)
        {
            // A corrupt value must not block a fresh write.
            return false;
        }
    }
}
