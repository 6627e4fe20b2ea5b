namespace Celeriac.Backends;

/// <summary>What a result backend does.</summary>
/// <param name="Name">The backend's name (<c>memory</c>, <c>sqlite</c>, <c>redis</c>, <c>rpc</c>, <c>disabled</c>).</param>
/// <param name="Persistent">Results outlive the process.</param>
/// <param name="PushesUpdates">Waiters are woken by the store itself rather than by polling.</param>
public sealed record ResultBackendCapabilities(string Name, bool Persistent, bool PushesUpdates)
{
    /// <summary>
    /// The backend joins chords itself (<see cref="IResultBackend.PrepareChordAsync"/> and
    /// <see cref="IResultBackend.ChordPartReturnAsync"/>): the last header task to end sends the body. When false, a chord
    /// is joined as Celery does on backends without a native join: the client also sends <c>celery.chord_unlock</c>,
    /// which polls the header's results and sends the body once they are all ready.
    /// </summary>
    public bool JoinsChords { get; init; } = true;
}
