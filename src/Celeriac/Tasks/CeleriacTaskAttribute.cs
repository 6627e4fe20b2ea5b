namespace Celeriac.Tasks;

/// <summary>
/// Marks a method as a task, found by <see cref="CeleriacApp.RegisterTasks(System.Reflection.Assembly)"/> or the
/// <c>imports</c> setting. The method may be static, or an instance method of a class with a public
/// parameterless constructor (one instance per task, like Celery's task singletons).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CeleriacTaskAttribute : Attribute
{
    /// <summary>Registers the method under its default name, <c>Namespace.Type.Method</c>.</summary>
    public CeleriacTaskAttribute()
    {
    }

    /// <summary>Registers the method as <paramref name="name"/>.</summary>
    public CeleriacTaskAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The task name; the method's full name when null.</summary>
    public string? Name { get; }

    /// <summary><c>acks_late</c>.</summary>
    public bool AcksLate { get; set; }

    /// <summary><c>ignore_result</c>.</summary>
    public bool IgnoreResult { get; set; }

    /// <summary><c>track_started</c>.</summary>
    public bool TrackStarted { get; set; }

    /// <summary><c>max_retries</c>; negative means "use the app default".</summary>
    public int MaxRetries { get; set; } = -1;

    /// <summary><c>default_retry_delay</c> in seconds; negative means "use the app default".</summary>
    public double DefaultRetryDelaySeconds { get; set; } = -1;

    /// <summary><c>autoretry_for</c>.</summary>
    public Type[] AutoretryFor { get; set; } = [];

    /// <summary><c>retry_backoff</c> factor in seconds; 0 = none.</summary>
    public double RetryBackoffSeconds { get; set; }

    /// <summary><c>time_limit</c> in seconds; 0 = none.</summary>
    public double TimeLimitSeconds { get; set; }

    /// <summary><c>soft_time_limit</c> in seconds; 0 = none.</summary>
    public double SoftTimeLimitSeconds { get; set; }

    /// <summary>The task's default queue.</summary>
    public string? Queue { get; set; }

    /// <summary><c>rate_limit</c>, e.g. <c>"10/m"</c>.</summary>
    public string? RateLimit { get; set; }

    internal TaskSettings ToSettings() => new()
    {
        AcksLate = AcksLate ? true : null,
        IgnoreResult = IgnoreResult ? true : null,
        TrackStarted = TrackStarted ? true : null,
        MaxRetries = MaxRetries >= 0 ? MaxRetries : null,
        DefaultRetryDelay = DefaultRetryDelaySeconds >= 0 ? TimeSpan.FromSeconds(DefaultRetryDelaySeconds) : null,
        AutoretryFor = AutoretryFor,
        RetryBackoff = RetryBackoffSeconds > 0 ? TimeSpan.FromSeconds(RetryBackoffSeconds) : null,
        TimeLimit = TimeLimitSeconds > 0 ? TimeSpan.FromSeconds(TimeLimitSeconds) : null,
        SoftTimeLimit = SoftTimeLimitSeconds > 0 ? TimeSpan.FromSeconds(SoftTimeLimitSeconds) : null,
        Queue = Queue,
        RateLimit = RateLimit,
    };
}
