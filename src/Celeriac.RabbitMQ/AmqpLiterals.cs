namespace Celeriac.RabbitMQ;

/// <summary>
/// AMQP and RabbitMQ names used on the wire. Source: kombu/entity.py (Queue: expires, message_ttl, max_priority →
/// x-expires, x-message-ttl, x-max-priority), RabbitMQ docs (x-queue-type), AMQP 0-9-1 reply codes.
/// </summary>
internal static class AmqpLiterals
{
    public const string MaxPriority = "x-max-priority";
    public const string MessageTtl = "x-message-ttl";
    public const string Expires = "x-expires";
    public const string QueueType = "x-queue-type";
    public const string Overflow = "x-overflow";
    public const string RejectPublish = "reject-publish";
    public const string DeadLetterExchange = "x-dead-letter-exchange";
    public const string DeadLetterStrategy = "x-dead-letter-strategy";
    public const string AtLeastOnce = "at-least-once";

    public const string Direct = "direct";
    public const string Topic = "topic";
    public const string Fanout = "fanout";

    public const int NoRoute = 312;
    public const int AccessRefused = 403;
    public const int NotFound = 404;
    public const int ResourceLocked = 405;
    public const int PreconditionFailed = 406;
    public const int NotAllowed = 530;
    public const int NotImplemented = 540;

    /// <summary>The largest prefetch count basic.qos carries (a short); larger limits are capped.</summary>
    public const int MaxPrefetch = ushort.MaxValue;
}
