namespace Celeriac.Control;

/// <summary>
/// A Lamport clock: <see cref="Forward"/> per local event, <see cref="Adjust"/> on every received value.
/// Source: kombu/clocks.py (LamportClock).
/// </summary>
public sealed class LamportClock
{
    private long _value;

    /// <summary>The current value.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>Advances for a local event and returns the new value.</summary>
    public long Forward() => Interlocked.Increment(ref _value);

    /// <summary>Merges a received value: <c>max(own, other) + 1</c>.</summary>
    public long Adjust(long other)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _value);
            var next = Math.Max(current, other) + 1;
            if (Interlocked.CompareExchange(ref _value, next, current) == current)
            {
                return next;
            }
        }
    }
}
