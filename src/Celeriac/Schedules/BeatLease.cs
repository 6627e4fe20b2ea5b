namespace Celeriac.Schedules;

/// <summary>
/// Leadership of a schedule: who holds it and the fencing token it was granted with. Tokens only grow, so a store
/// refuses writes from a holder whose lease was taken over, even if that holder does not know it yet.
/// </summary>
/// <param name="Owner">The holder's name (<c>beat@host:pid/…</c>).</param>
/// <param name="FencingToken">Grows by one at every acquisition.</param>
public sealed record BeatLease(string Owner, long FencingToken);
