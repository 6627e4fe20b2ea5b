namespace Celeriac.Transport;

/// <summary>A queue to declare, with kombu's queue options.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Durable">Survives a broker restart.</param>
/// <param name="AutoDelete">Deleted when its last consumer goes.</param>
/// <param name="Exclusive">Only the declaring connection may use it.</param>
public sealed record QueueDeclaration(string Name, bool Durable = true, bool AutoDelete = false, bool Exclusive = false)
{
    /// <summary><c>x-max-priority</c>, when priorities are configured.</summary>
    public int? MaxPriority { get; init; }

    /// <summary><c>x-message-ttl</c>: messages older than this are dropped.</summary>
    public TimeSpan? MessageTtl { get; init; }

    /// <summary><c>x-expires</c>: the queue is deleted after this long unused.</summary>
    public TimeSpan? Expires { get; init; }
}
