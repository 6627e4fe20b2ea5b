using Celeriac.Protocol;

namespace Celeriac.Backends;

/// <summary>
/// Celery's default: no result backend. Storing is a no-op; reading says clearly that results need
/// <c>result_backend</c>. Source: celery/backends/base.py (DisabledBackend).
/// </summary>
public sealed class DisabledResultBackend : IResultBackend
{
    /// <summary>The one instance.</summary>
    public static DisabledResultBackend Instance { get; } = new();

    /// <inheritdoc />
    public ResultBackendCapabilities Capabilities { get; } = new("disabled", Persistent: false, PushesUpdates: false);

    /// <inheritdoc />
    public ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    /// <remarks>Celery raises too: a chord is joined through the result backend.</remarks>
    public ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Starting chords requires a result backend to be configured, but none is: set result_backend (e.g. sqlite:///celeriac.db or redis://localhost:6379/1)");

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default) => throw NotConfigured();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InvalidOperationException NotConfigured() =>
        new("No result backend is configured: set result_backend (e.g. sqlite:///celeriac.db or redis://localhost:6379/1) to store and read results");
}
