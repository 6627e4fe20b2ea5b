using System.Text;

namespace Celeriac.Transport;

/// <summary>
/// The names and routing keys of Celery 5.5's native delayed delivery on RabbitMQ (kombu's design, after
/// NServiceBus). A delayed message is published to <see cref="EntryExchange"/> with its delay in whole seconds written
/// as 28 binary digits, one dotted word each (most significant first), in front of its routing key. Level <c>n</c>
/// has a topic exchange and a queue named <c>celery_delayed_n</c>: a message whose digit <c>n</c> is 1 waits in that
/// queue for 2^n s (<c>x-message-ttl</c>) and is dead-lettered to level <c>n-1</c>; a 0 passes on to the next
/// exchange straight away. After level 0 the message reaches <see cref="DeliveryExchange"/>, bound to each task
/// exchange with <c>#.&lt;routing key&gt;</c>, and so its queue.
/// Source: kombu/transport/native_delayed_delivery.py, celery/app/base.py (send_task).
/// </summary>
public static class NativeDelayedDelivery
{
    /// <summary>How many binary digits (levels) a delay has.</summary>
    public const int Levels = 28;

    /// <summary>The longest delay: 2^28 − 1 s, about 8.5 years.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds((1L << Levels) - 1);

    /// <summary>The exchange that due messages leave the levels by.</summary>
    public const string DeliveryExchange = "celery_delayed_delivery";

    /// <summary>The exchange delayed messages are published to: the highest level.</summary>
    public static string EntryExchange { get; } = LevelName(Levels - 1);

    /// <summary>The exchange and queue of level <paramref name="level"/>: <c>celery_delayed_&lt;level&gt;</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not 0 to 27.</exception>
    public static string LevelName(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(level, Levels);
        return "celery_delayed_" + level.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The routing key of a message delayed by <paramref name="seconds"/> for <paramref name="routingKey"/>, as
    /// kombu's <c>calculate_routing_key</c>: <c>0.0.…1.0.1.celery</c> for 5 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seconds"/> is not 1 to 2^28 − 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="routingKey"/> is empty.</exception>
    public static string RoutingKey(long seconds, string routingKey)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, (1L << Levels) - 1);
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        var key = new StringBuilder((Levels * 2) + routingKey.Length);
        for (var level = Levels - 1; level >= 0; level--)
        {
            key.Append((seconds >> level & 1) == 1 ? '1' : '0').Append('.');
        }

        return key.Append(routingKey).ToString();
    }

    /// <summary>
    /// The binding key by which level <paramref name="level"/>'s queue takes the messages whose digit
    /// <paramref name="level"/> is <paramref name="digit"/> (1: wait here) or by which the next level's exchange takes
    /// them (0: pass on): a <c>*</c> word for each higher digit, then the digit, then <c>#</c>.
    /// </summary>
    public static string LevelBindingKey(int level, char digit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(level, Levels);
        return string.Concat(Enumerable.Repeat("*.", Levels - 1 - level)) + digit + ".#";
    }

    /// <summary>
    /// The key that binds a task exchange to <see cref="DeliveryExchange"/>, and its queue to it, for
    /// <paramref name="routingKey"/>: <c>#.&lt;routing key&gt;</c> (a key already starting with <c>#</c> as it is).
    /// </summary>
    public static string DeliveryBindingKey(string routingKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        return routingKey.StartsWith('#') ? routingKey : "#." + routingKey;
    }

    /// <summary>Whether <paramref name="exchange"/> is one of the levels or <see cref="DeliveryExchange"/>.</summary>
    public static bool IsLevelOrDelivery(string exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return exchange.StartsWith("celery_delayed_", StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether a delivery came through the levels (its exchange is a level or <see cref="DeliveryExchange"/>, its
    /// routing key 28 binary words and a rest), and the routing key it was sent for: what a retry of it is routed by.
    /// </summary>
    public static bool TryGetRoutingKey(string exchange, string routingKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? original)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        original = null;
        if (!IsLevelOrDelivery(exchange) || routingKey.Length <= Levels * 2)
        {
            return false;
        }

        for (var i = 0; i < Levels; i++)
        {
            if (routingKey[2 * i] is not ('0' or '1') || routingKey[(2 * i) + 1] != '.')
            {
                return false;
            }
        }

        original = routingKey[(Levels * 2)..];
        return true;
    }

    /// <summary>
    /// Whether an ETA <paramref name="delay"/> ahead goes through the levels: a whole second or more. A shorter
    /// delay goes straight to the queue and the worker holds it (kombu refuses a delay under one second).
    /// </summary>
    public static bool Applies(TimeSpan delay) => delay >= TimeSpan.FromSeconds(1);

    /// <summary>
    /// The whole seconds to delay for <paramref name="delay"/>, as Celery's <c>int(countdown)</c>: the message arrives
    /// up to a second early and the worker holds it for the rest. Clamped at <see cref="MaxDelay"/>.
    /// </summary>
    public static long Seconds(TimeSpan delay) => Math.Clamp((long)Math.Floor(delay.TotalSeconds), 1, (1L << Levels) - 1);
}
