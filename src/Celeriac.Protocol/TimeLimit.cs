namespace Celeriac.Protocol;

/// <summary>
/// A task's time limits in seconds. On the wire the <c>timelimit</c> header is <c>[hard, soft]</c>, in that order.
/// </summary>
/// <param name="Hard">The hard limit: the task is abandoned and fails with <c>TimeLimitExceeded</c>.</param>
/// <param name="Soft">The soft limit: the task's cancellation token fires (<c>SoftTimeLimitExceeded</c>).</param>
public readonly record struct TimeLimit(double? Hard, double? Soft)
{
    /// <summary>No limits.</summary>
    public static TimeLimit None => default;
}
