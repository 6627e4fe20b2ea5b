using Celeriac.Transport;

namespace Celeriac.Conformance;

/// <summary>
/// Reads a consumer's deliveries with timeouts, keeping an unfinished read for the next call, so a test can ask
/// "does anything arrive within this time?" without losing what arrives later.
/// </summary>
public sealed class DeliveryReader : IAsyncDisposable
{
    private readonly IAsyncEnumerator<IDelivery> _deliveries;
    private Task<bool>? _pending;
    private bool _disposed;

    public DeliveryReader(ITransportConsumer consumer)
    {
        Consumer = consumer;
        _deliveries = consumer.ReadAllAsync().GetAsyncEnumerator();
    }

    public ITransportConsumer Consumer { get; }

    /// <summary>Whether the consumer ended its stream (stopped or disposed).</summary>
    public bool Ended { get; private set; }

    /// <summary>The next delivery, or null when none arrives within <paramref name="timeout"/> or the stream ended.</summary>
    public async Task<IDelivery?> TryReceiveAsync(TimeSpan timeout)
    {
        if (Ended)
        {
            return null;
        }

        _pending ??= _deliveries.MoveNextAsync().AsTask();
        var finished = await Task.WhenAny(_pending, Task.Delay(timeout));
        if (finished != _pending)
        {
            return null;
        }

        var more = await _pending;
        _pending = null;
        Ended = !more;
        return more ? _deliveries.Current : null;
    }

    /// <summary>The next delivery; fails the test when none arrives within <see cref="TestTimeouts.Arrival"/>.</summary>
    public async Task<IDelivery> ReceiveAsync() =>
        await TryReceiveAsync(TestTimeouts.Arrival) ?? throw new TimeoutException(Ended ? "the consumer ended its stream" : $"no delivery within {TestTimeouts.Arrival}");

    /// <summary>Receives <paramref name="count"/> deliveries.</summary>
    public async Task<List<IDelivery>> ReceiveAsync(int count)
    {
        var list = new List<IDelivery>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await ReceiveAsync());
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Disposing the consumer ends the stream; drain it so the enumerator is idle when disposed.
        await Consumer.DisposeAsync();
        try
        {
            while (!Ended && await (_pending ?? _deliveries.MoveNextAsync().AsTask()))
            {
                _pending = null;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
        }

        _pending = null;
        await _deliveries.DisposeAsync();
    }
}
