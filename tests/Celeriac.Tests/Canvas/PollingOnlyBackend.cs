using Celeriac.Backends;
using Celeriac.Memory;
using Celeriac.Protocol;
using Celeriac.Transport;

namespace Celeriac.Tests.Canvas;

/// <summary>
/// A memory:// store that says it cannot join chords, as Celery's backends without a native join (filesystem, database):
/// a chord on it must be completed by <c>celery.chord_unlock</c> polling. Registered as <c>nojoin://name</c>.
/// </summary>
internal sealed class PollingOnlyBackend(IResultBackend inner) : IResultBackend
{
    public const string Scheme = "nojoin";

    public ResultBackendCapabilities Capabilities { get; } = inner.Capabilities with { Name = Scheme, JoinsChords = false };

    public static CeleriacServices Register(CeleriacServices services)
    {
        services.Backends.Register(Scheme, context => new PollingOnlyBackend(MemoryResultBackend.Get(context with { Url = BrokerUrl.Parse("memory://" + context.Url.Host) })));
        return services;
    }

    public ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default) => inner.StoreAsync(meta, cancellationToken);

    public ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default) => inner.GetAsync(taskId, cancellationToken);

    public ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default) => inner.WaitForReadyAsync(taskId, cancellationToken);

    public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default) => inner.ForgetAsync(taskId, cancellationToken);

    public ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default) => inner.SaveGroupAsync(groupId, memberIds, cancellationToken);

    public ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.RestoreGroupAsync(groupId, cancellationToken);

    public ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.DeleteGroupAsync(groupId, cancellationToken);

    public ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("a backend without a chord join is never asked to prepare one");

    public ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("a backend without a chord join is never told of chord parts");

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
