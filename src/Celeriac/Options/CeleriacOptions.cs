namespace Celeriac;

/// <summary>
/// Everything an app is configured with, immutable, grouped like Celery's setting namespaces. Bound from code
/// or (through Celeriac.Hosting) from configuration with Celery's key names; validated once by <see cref="Validate"/>.
/// Source of defaults: celery/app/defaults.py.
/// </summary>
public sealed record CeleriacOptions
{
    /// <summary>The app's name, used in node names and logs (Celery's <c>main</c>).</summary>
    public string Name { get; init; } = "celeriac";

    /// <summary><c>broker_url</c>. The embedded SQLite file by default, so a new user needs no server.</summary>
    public string BrokerUrl { get; init; } = "sqlite:///celeriac.db";

    /// <summary><c>result_backend</c>; null disables results, as in Celery.</summary>
    public string? ResultBackend { get; init; }

    /// <summary><c>timezone</c>: an IANA name; eta/expires headers carry its offset.</summary>
    public string Timezone { get; init; } = "UTC";

    /// <summary><c>imports</c>: assemblies whose <c>[CeleriacTask]</c> methods are registered at start.</summary>
    public IReadOnlyList<string> Imports { get; init; } = [];

    /// <summary>Broker settings (<c>broker_*</c>).</summary>
    public BrokerOptions Broker { get; init; } = new();

    /// <summary>Result settings (<c>result_*</c>).</summary>
    public ResultOptions Result { get; init; } = new();

    /// <summary>Task defaults (<c>task_*</c>).</summary>
    public TaskOptions Task { get; init; } = new();

    /// <summary>Worker settings (<c>worker_*</c>).</summary>
    public WorkerOptions Worker { get; init; } = new();

    /// <summary>Beat settings (<c>beat_*</c>), including <c>beat_schedule</c>.</summary>
    public BeatOptions Beat { get; init; } = new();

    /// <summary>The resolved time zone.</summary>
    /// <exception cref="CeleriacConfigurationException">The name is not a known IANA zone.</exception>
    public TimeZoneInfo ResolveTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(Timezone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new CeleriacConfigurationException("timezone", $"'{Timezone}' is not a known IANA time zone (e.g. UTC, Europe/Berlin, Asia/Shanghai)", ex);
        }
    }

    /// <summary>Checks every value; the exception names the first bad key by Celery's name.</summary>
    /// <exception cref="CeleriacConfigurationException">A value is out of range or unparsable.</exception>
    public void Validate()
    {
        Check(!string.IsNullOrWhiteSpace(BrokerUrl), "broker_url", "must not be empty");
        ParseUrl("broker_url", BrokerUrl);
        if (ResultBackend is not null)
        {
            ParseUrl("result_backend", ResultBackend);
        }

        ResolveTimeZone();
        Check(Worker.Concurrency >= 1, "worker_concurrency", $"must be at least 1, got {Worker.Concurrency}");
        Check(Worker.PrefetchMultiplier >= 0, "worker_prefetch_multiplier", $"must be 0 (no limit) or more, got {Worker.PrefetchMultiplier}");
        Check(Worker.ShutdownTimeout >= TimeSpan.Zero, "worker_shutdown_timeout", "must not be negative");
        Check(Result.Expires is null || Result.Expires >= TimeSpan.Zero, "result_expires", "must not be negative");
        Check(!string.IsNullOrWhiteSpace(Task.DefaultQueue), "task_default_queue", "must not be empty");
        Check(Task.DefaultRetryDelay >= TimeSpan.Zero, "task_default_retry_delay", "must not be negative");
        Check(Task.MaxRetries is null or >= 0, "task_max_retries", "must be 0 or more (or null for no limit)");
        Check(string.Equals(Task.Serializer, "json", StringComparison.OrdinalIgnoreCase), "task_serializer", $"'{Task.Serializer}' is not supported; only 'json' is (pickle is never accepted)");
        foreach (var accepted in Task.AcceptContent)
        {
            Check(accepted is "json" or Protocol.ContentTypes.Json, "accept_content", $"'{accepted}' is not supported; only 'json' is (pickle and yaml are refused)");
        }

        Check(Task.TimeLimit is null || Task.TimeLimit > TimeSpan.Zero, "task_time_limit", "must be positive");
        Check(Task.SoftTimeLimit is null || Task.SoftTimeLimit > TimeSpan.Zero, "task_soft_time_limit", "must be positive");
        Check(Task.QueueMaxPriority is null or (>= 1 and <= 255), "task_queue_max_priority", $"must be from 1 to 255, got {Task.QueueMaxPriority}");
        Check(Task.DefaultQueueType is TaskOptions.ClassicQueueType or TaskOptions.QuorumQueueType, "task_default_queue_type", $"'{Task.DefaultQueueType}' is not a queue type; use 'classic' or 'quorum'");
        Check(Task.DefaultExchangeType is TaskOptions.DirectExchangeType or TaskOptions.TopicExchangeType, "task_default_exchange_type", $"'{Task.DefaultExchangeType}' is not a task exchange type; use 'direct' or 'topic' (a fanout task exchange would broadcast each task, and on Redis lose it when no worker listens)");
        Check(Broker.NativeDelayedDeliveryQueueType is TaskOptions.ClassicQueueType or TaskOptions.QuorumQueueType, "broker_native_delayed_delivery_queue_type", $"'{Broker.NativeDelayedDeliveryQueueType}' is not a queue type; use 'classic' or 'quorum'");
        Routing.TaskRouter.Validate(Task.Routes);
        Check(Beat.MaxLoopInterval > TimeSpan.Zero, "beat_max_loop_interval", "must be positive");
        Check(Beat.LeaderLease >= TimeSpan.FromSeconds(1), "beat_leader_lease", "must be at least 1 second");
        Check(Beat.MissedRunGrace >= TimeSpan.Zero, "beat_missed_run_grace", "must not be negative");
        Check(!string.IsNullOrWhiteSpace(Beat.ScheduleFilename), "beat_schedule_filename", "must not be empty");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in Beat.Schedule)
        {
            Check(names.Add(entry.Name), "beat_schedule." + entry.Name, "the name is used twice");
        }
    }

    private static void ParseUrl(string key, string url)
    {
        try
        {
            Transport.BrokerUrl.Parse(url);
        }
        catch (FormatException ex)
        {
            throw new CeleriacConfigurationException(key, ex.Message, ex);
        }
    }

    private static void Check(bool ok, string key, string reason)
    {
        if (!ok)
        {
            throw new CeleriacConfigurationException(key, reason);
        }
    }
}
