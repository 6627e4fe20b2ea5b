namespace Celeriac.Transport;

/// <summary>
/// A broadcast wake-up: <see cref="Pulse"/> completes every pending <see cref="WaitAsync"/>. Waiters that
/// arrive after a pulse wait for the next one, so callers re-check their condition before waiting.
/// </summary>
public sealed class AsyncPulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes every current waiter.</summary>
    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for the next pulse, at most <paramref name="timeout"/>; returns true when pulsed.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var pulse = Volatile.Read(ref _next).Task;
        try
        {
            await pulse.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The task that completes at the next pulse.</summary>
    public Task NextPulse => Volatile.Read(ref _next).Task;
}
