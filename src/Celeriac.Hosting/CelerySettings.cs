namespace Celeriac.Hosting;

/// <summary>
/// Celery's setting names that Celeriac reads from configuration. Source: celery/app/defaults.py.
/// </summary>
public static class CelerySettings
{
#pragma warning disable CS1591 // Each constant is the Celery setting of the same name.
    public const string Main = "main";
    public const string BrokerUrl = "broker_url";
    public const string ResultBackend = "result_backend";
    public const string Timezone = "timezone";
    public const string EnableUtc = "enable_utc";
    public const string Imports = "imports";
    public const string Include = "include";
    public const string BrokerTransportOptions = "broker_transport_options";
    public const string BrokerConnectionTimeout = "broker_connection_timeout";
    public const string ResultExpires = "result_expires";
    public const string ResultExtended = "result_extended";
    public const string TaskDefaultQueue = "task_default_queue";
    public const string TaskRoutes = "task_routes";
    public const string TaskSerializer = "task_serializer";
    public const string ResultSerializer = "result_serializer";
    public const string AcceptContent = "accept_content";
    public const string TaskAcksLate = "task_acks_late";
    public const string TaskRejectOnWorkerLost = "task_reject_on_worker_lost";
    public const string TaskTrackStarted = "task_track_started";
    public const string TaskIgnoreResult = "task_ignore_result";
    public const string TaskDefaultRetryDelay = "task_default_retry_delay";
    public const string TaskMaxRetries = "task_max_retries";
    public const string TaskTimeLimit = "task_time_limit";
    public const string TaskSoftTimeLimit = "task_soft_time_limit";
    public const string TaskDefaultPriority = "task_default_priority";
    public const string TaskQueueMaxPriority = "task_queue_max_priority";
    public const string TaskDefaultQueueType = "task_default_queue_type";
    public const string TaskDefaultExchangeType = "task_default_exchange_type";
    public const string BrokerNativeDelayedDeliveryQueueType = "broker_native_delayed_delivery_queue_type";
    public const string WorkerConcurrency = "worker_concurrency";
    public const string WorkerPrefetchMultiplier = "worker_prefetch_multiplier";
    public const string WorkerHostname = "worker_hostname";
    public const string WorkerQueues = "worker_queues";
    public const string WorkerShutdownTimeout = "worker_shutdown_timeout";
    public const string WorkerSendTaskEvents = "worker_send_task_events";
    public const string TaskSendSentEvent = "task_send_sent_event";
    public const string WorkerDisableRateLimits = "worker_disable_rate_limits";
    public const string WorkerStateDb = "worker_state_db";
    public const string BeatSchedule = "beat_schedule";
    public const string BeatScheduleFilename = "beat_schedule_filename";
    public const string BeatMaxLoopInterval = "beat_max_loop_interval";
    public const string BeatLeaderLease = "beat_leader_lease";
    public const string BeatMissedRunPolicy = "beat_missed_run_policy";
    public const string BeatMissedRunGrace = "beat_missed_run_grace";
#pragma warning restore CS1591
}
