using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>
/// One long-lived channel of the transport (admin or publishing). The broker closes a channel on a channel error
/// (404, 406...); the next use gets a new one. While the connection itself is down the channel is left to automatic
/// recovery and the caller waits.
/// </summary>
internal sealed class ChannelSlot : IAsyncDisposable
{
    private readonly AmqpTransport _transport;
    private readonly bool _confirms;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IChannel? _channel;

    public ChannelSlot(AmqpTransport transport, bool confirms)
    {
        _transport = transport;
        _confirms = confirms;
    }

    /// <summary>The confirm tracker of the current channel (publishing slot only).</summary>
    public ConfirmTracker? Confirms { get; private set; }

    /// <summary>Serializes taking a sequence number and sending the publish, so numbers and frames stay in order.</summary>
    public SemaphoreSlim PublishLock { get; } = new(1, 1);

    public async ValueTask<IChannel> GetAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                if (_channel is { IsOpen: true } again)
                {
                    return again;
                }

                if (_channel is not null && _transport.ConnectionDown)
                {
                    // Automatic recovery reopens this very channel; creating another now would fail.
                    if (!await _transport.WaitForRecoveryAsync(deadline, cancellationToken).ConfigureAwait(false))
                    {
                        throw new AmqpBrokerException($"the connection to {_transport.Endpoint.Redacted} is lost and did not come back within {_transport.RetryWindow.TotalSeconds}s");
                    }

                    continue;
                }

                if (_channel is { } closed)
                {
                    // Closed by the broker for an error: it is not coming back.
                    _channel = null;
                    await DisposeQuietlyAsync(closed).ConfigureAwait(false);
                }

                var channel = await _transport.CreateChannelAsync(_confirms, cancellationToken).ConfigureAwait(false);
                Confirms = _confirms ? new ConfirmTracker(channel) : null;
                _channel = channel;
                return channel;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            await DisposeQuietlyAsync(channel).ConfigureAwait(false);
        }

        _gate.Dispose();
        PublishLock.Dispose();
    }

    private static async Task DisposeQuietlyAsync(IChannel channel)
    {
        try
        {
            if (channel.IsOpen)
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Closing a channel of a dead connection: nothing to do.
        }

        await channel.DisposeAsync().ConfigureAwait(false);
    }
}
