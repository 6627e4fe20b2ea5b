using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// Pushes changes to every open page (server-sent events). Each subscriber has its own bounded buffer; a browser
/// that falls behind loses its oldest updates rather than slowing the others, and is told so (<c>lagged</c>) so that
/// it reloads what it shows.
/// </summary>
internal sealed class LiveFeed
{
    public const int BufferSize = 1024;

    private readonly ConcurrentDictionary<long, Subscriber> _subscribers = new();
    private long _next;

    /// <summary>Open pages.</summary>
    public int Count => _subscribers.Count;

    /// <summary>Sends <paramref name="json"/> as an event named <paramref name="type"/> to every subscriber.</summary>
    public void Publish(string type, string json)
    {
        var message = new LiveMessage(type, json);
        foreach (var s in _subscribers.Values)
        {
            if (!s.Channel.Writer.TryWrite(message))
            {
                s.Lagged = true;
            }
        }
    }

    /// <summary>Subscribes; dispose the subscription to leave.</summary>
    public Subscription Subscribe()
    {
        var id = Interlocked.Increment(ref _next);
        var subscriber = new Subscriber(Channel.CreateBounded<LiveMessage>(new BoundedChannelOptions(BufferSize)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        }));
        _subscribers[id] = subscriber;
        return new Subscription(this, id, subscriber);
    }

    internal sealed class Subscriber(Channel<LiveMessage> channel)
    {
        public Channel<LiveMessage> Channel { get; } = channel;

        public volatile bool Lagged;
    }

    /// <summary>One page's view of the feed.</summary>
    internal sealed class Subscription(LiveFeed feed, long id, Subscriber subscriber) : IDisposable
    {
        public ChannelReader<LiveMessage> Reader => subscriber.Channel.Reader;

        /// <summary>True once (then reset) when messages were dropped for this subscriber.</summary>
        public bool TakeLagged()
        {
            var lagged = subscriber.Lagged;
            subscriber.Lagged = false;
            return lagged;
        }

        public void Dispose() => feed._subscribers.TryRemove(id, out _);
    }
}
