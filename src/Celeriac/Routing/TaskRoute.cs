namespace Celeriac.Routing;

/// <summary>
/// One entry of <c>task_routes</c>: tasks whose name matches <see cref="Pattern"/> (exact, or a glob with
/// <c>*</c>) go to <see cref="Queue"/>. Source: celery/app/routes.py (MapRoute).
/// </summary>
/// <param name="Pattern">A task name or glob, e.g. <c>proj.tasks.*</c>.</param>
/// <param name="Queue">The queue.</param>
public sealed record TaskRoute(string Pattern, string Queue)
{
    /// <summary>An explicit exchange; with a direct exchange and no routing key Celery still uses the default exchange.</summary>
    public string? Exchange { get; init; }

    /// <summary>An explicit routing key.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>A priority for routed tasks.</summary>
    public int? Priority { get; init; }
}
