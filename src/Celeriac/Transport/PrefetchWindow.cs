namespace Celeriac.Transport;

/// <summary>
/// A consumer's prefetch limit: how many deliveries may be outstanding (neither acked nor rejected) at once, 0 meaning
/// no limit. Consumers wait here before fetching; a settle or a limit change wakes them. Shared by every transport's
/// consumer so the rule (Celery's QoS, kombu's <c>can_consume</c>) is written once.
/// </summary>
public sealed class PrefetchWindow
{
    private readonly Func<int> _outstanding;
    private readonly AsyncPulse _changed = new();
    private int _limit;

    /// <summary>Creates a window of <paramref name="limit"/>; <paramref name="outstanding"/> counts unsettled deliveries.</summary>
    public PrefetchWindow(int limit, Func<int> outstanding)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
        _outstanding = outstanding ?? throw new ArgumentNullException(nameof(outstanding));
    }

    /// <summary>The limit (0 = none).</summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>Whether one more delivery may be fetched now.</summary>
    public bool HasRoom
    {
        get
        {
            var limit = Limit;
            return limit == 0 || _outstanding() < limit;
        }
    }

    /// <summary>Changes the limit and wakes a waiting consumer.</summary>
    public void SetLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Volatile.Write(ref _limit, limit);
        _changed.Pulse();
    }

    /// <summary>A delivery was settled: wakes a waiting consumer.</summary>
    public void Released() => _changed.Pulse();

    /// <summary>Returns when there is room for one more delivery.</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken) => WaitForRoomAsync(1, cancellationToken);

    /// <summary>
    /// Waits until at least <paramref name="atLeast"/> more messages may be taken (or the window is empty), so that a
    /// consumer that fetches in batches fetches several at once instead of one per settled message.
    /// </summary>
    public async Task WaitForRoomAsync(int atLeast, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the wake-up before looking, so a release between the look and the wait is not missed.
            var changed = _changed.NextPulse;
            var limit = Limit;
            var outstanding = _outstanding();
            if (limit == 0 || outstanding == 0 || limit - outstanding >= Math.Min(atLeast, limit))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
