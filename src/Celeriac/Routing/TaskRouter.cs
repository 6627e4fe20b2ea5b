using System.Text.RegularExpressions;

namespace Celeriac.Routing;

/// <summary>
/// Resolves where a task goes: explicit call options win, then the first matching route, then
/// <c>task_default_queue</c>; and how it is published (Celery §2.5: direct routes use the default exchange
/// with routing key = queue). Source: celery/app/routes.py, celery/app/amqp.py (send_task_message).
/// </summary>
public sealed class TaskRouter
{
    private readonly (TaskRoute Route, Regex? Glob)[] _routes;
    private readonly string _defaultQueue;
    private readonly Transport.ExchangeType _exchangeType;

    /// <summary>Creates the router.</summary>
    /// <param name="routes"><c>task_routes</c>.</param>
    /// <param name="defaultQueue"><c>task_default_queue</c>.</param>
    /// <param name="exchangeType"><c>task_default_exchange_type</c>: the type of each queue's exchange.</param>
    public TaskRouter(IReadOnlyList<TaskRoute> routes, string defaultQueue, Transport.ExchangeType exchangeType = Transport.ExchangeType.Direct)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = [.. routes.Select(r => (r, r.Pattern.Contains('*', StringComparison.Ordinal) ? GlobToRegex(r.Pattern) : null))];
        _defaultQueue = defaultQueue;
        _exchangeType = exchangeType;
    }

    /// <summary>Checks that every route has a pattern and a queue.</summary>
    /// <exception cref="CeleriacConfigurationException">A route is incomplete.</exception>
    public static void Validate(IReadOnlyList<TaskRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var r in routes)
        {
            if (string.IsNullOrWhiteSpace(r.Pattern))
            {
                throw new CeleriacConfigurationException("task_routes", "a route has an empty task name pattern");
            }

            if (string.IsNullOrWhiteSpace(r.Queue))
            {
                throw new CeleriacConfigurationException("task_routes", $"route '{r.Pattern}' has no queue");
            }
        }
    }

    /// <summary>Where <paramref name="taskName"/> goes, given the call's explicit queue/exchange/routing key.</summary>
    public PublishTarget Resolve(string taskName, string? queue, string? exchange, string? routingKey)
    {
        TaskRoute? route = null;
        if (queue is null)
        {
            foreach (var (r, glob) in _routes)
            {
                if (glob is null ? string.Equals(r.Pattern, taskName, StringComparison.Ordinal) : glob.IsMatch(taskName))
                {
                    route = r;
                    break;
                }
            }
        }

        var q = queue ?? route?.Queue ?? _defaultQueue;
        var ex = exchange ?? route?.Exchange;
        var rk = routingKey ?? route?.RoutingKey;

        // Celery: for a direct exchange, unless both exchange and routing key are explicit, publish to the
        // default exchange with the queue name as routing key; otherwise to the queue's exchange (named as the queue).
        if (ex is not null && rk is not null)
        {
            return new PublishTarget(q, ex, rk, route?.Priority);
        }

        return _exchangeType == Transport.ExchangeType.Direct
            ? new PublishTarget(q, string.Empty, q, route?.Priority)
            : new PublishTarget(q, ex ?? q, rk ?? q, route?.Priority);
    }

    private static Regex GlobToRegex(string glob) =>
        new("^" + Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant | RegexOptions.Compiled);
}
