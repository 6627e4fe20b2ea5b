using System.Globalization;
using Celeriac.Routing;
using Microsoft.Extensions.Configuration;

namespace Celeriac.Hosting;

/// <summary>
/// Binds <see cref="CeleriacOptions"/> from configuration written with Celery's setting names, e.g. in
/// <c>appsettings.json</c>: <c>{"Celeriac": {"broker_url": "...", "task_routes": {"proj.images.*": "images"}}}</c>,
/// or environment variables <c>CELERIAC_BROKER_URL</c>. Durations are seconds (as in Celery) or
/// <c>hh:mm:ss</c>. A bad value or an unknown key fails, naming the key.
/// </summary>
public static class CeleriacConfiguration
{
    /// <summary>The configuration section read by default.</summary>
    public const string SectionName = "Celeriac";

    /// <summary>The environment variable prefix read by default (<c>CELERIAC_BROKER_URL</c>).</summary>
    public const string EnvironmentPrefix = "CELERIAC_";

    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        CelerySettings.Main, CelerySettings.BrokerUrl, CelerySettings.ResultBackend, CelerySettings.Timezone,
        CelerySettings.EnableUtc, CelerySettings.Imports, CelerySettings.Include, CelerySettings.BrokerTransportOptions,
        CelerySettings.BrokerConnectionTimeout, CelerySettings.ResultExpires, CelerySettings.ResultExtended,
        CelerySettings.TaskDefaultQueue, CelerySettings.TaskRoutes, CelerySettings.TaskSerializer,
        CelerySettings.ResultSerializer, CelerySettings.AcceptContent, CelerySettings.TaskAcksLate,
        CelerySettings.TaskRejectOnWorkerLost, CelerySettings.TaskTrackStarted, CelerySettings.TaskIgnoreResult,
        CelerySettings.TaskDefaultRetryDelay, CelerySettings.TaskMaxRetries, CelerySettings.TaskTimeLimit,
        CelerySettings.TaskSoftTimeLimit, CelerySettings.TaskDefaultPriority, CelerySettings.TaskQueueMaxPriority, CelerySettings.TaskDefaultQueueType, CelerySettings.TaskDefaultExchangeType, CelerySettings.BrokerNativeDelayedDeliveryQueueType, CelerySettings.WorkerConcurrency,
        CelerySettings.WorkerPrefetchMultiplier, CelerySettings.WorkerHostname, CelerySettings.WorkerQueues,
        CelerySettings.WorkerShutdownTimeout, CelerySettings.WorkerSendTaskEvents, CelerySettings.WorkerDisableRateLimits, CelerySettings.WorkerStateDb, CelerySettings.BeatSchedule,
        CelerySettings.TaskSendSentEvent,
        CelerySettings.BeatScheduleFilename, CelerySettings.BeatMaxLoopInterval, CelerySettings.BeatLeaderLease,
        CelerySettings.BeatMissedRunPolicy, CelerySettings.BeatMissedRunGrace,
    };

    /// <summary>Reads the settings in <paramref name="section"/> over <paramref name="start"/> (defaults when null).</summary>
    /// <exception cref="CeleriacConfigurationException">A value is invalid or a key is unknown; the message names it.</exception>
    public static CeleriacOptions Bind(IConfiguration section, CeleriacOptions? start = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        foreach (var child in section.GetChildren())
        {
            if (!Known.Contains(child.Key))
            {
                throw new CeleriacConfigurationException(child.Key, $"unknown setting; known settings: {string.Join(", ", Known.Order(StringComparer.Ordinal))}");
            }
        }

        var o = start ?? new CeleriacOptions();
        var r = new Reader(section);
        var imports = r.List(CelerySettings.Imports).Concat(r.List(CelerySettings.Include)).ToList();
        o = o with
        {
            Name = r.String(CelerySettings.Main) ?? o.Name,
            BrokerUrl = r.String(CelerySettings.BrokerUrl) ?? o.BrokerUrl,
            ResultBackend = r.String(CelerySettings.ResultBackend) ?? o.ResultBackend,
            Timezone = r.String(CelerySettings.Timezone) ?? o.Timezone,
            Imports = imports.Count > 0 ? imports : o.Imports,
            Broker = o.Broker with
            {
                TransportOptions = r.Map(CelerySettings.BrokerTransportOptions) ?? o.Broker.TransportOptions,
                ConnectionTimeout = r.Seconds(CelerySettings.BrokerConnectionTimeout) ?? o.Broker.ConnectionTimeout,
                NativeDelayedDeliveryQueueType = r.String(CelerySettings.BrokerNativeDelayedDeliveryQueueType) ?? o.Broker.NativeDelayedDeliveryQueueType,
            },
            Result = o.Result with
            {
                Expires = r.Has(CelerySettings.ResultExpires) ? r.Seconds(CelerySettings.ResultExpires) : o.Result.Expires,
                Extended = r.Bool(CelerySettings.ResultExtended) ?? o.Result.Extended,
            },
            Task = o.Task with
            {
                DefaultQueue = r.String(CelerySettings.TaskDefaultQueue) ?? o.Task.DefaultQueue,
                Routes = r.Has(CelerySettings.TaskRoutes) ? Routes(section.GetSection(CelerySettings.TaskRoutes)) : o.Task.Routes,
                Serializer = r.String(CelerySettings.TaskSerializer) ?? o.Task.Serializer,
                AcceptContent = r.Has(CelerySettings.AcceptContent) ? r.List(CelerySettings.AcceptContent) : o.Task.AcceptContent,
                AcksLate = r.Bool(CelerySettings.TaskAcksLate) ?? o.Task.AcksLate,
                RejectOnWorkerLost = r.Bool(CelerySettings.TaskRejectOnWorkerLost) ?? o.Task.RejectOnWorkerLost,
                TrackStarted = r.Bool(CelerySettings.TaskTrackStarted) ?? o.Task.TrackStarted,
                IgnoreResult = r.Bool(CelerySettings.TaskIgnoreResult) ?? o.Task.IgnoreResult,
                DefaultRetryDelay = r.Seconds(CelerySettings.TaskDefaultRetryDelay) ?? o.Task.DefaultRetryDelay,
                MaxRetries = r.Has(CelerySettings.TaskMaxRetries) ? r.Int(CelerySettings.TaskMaxRetries) : o.Task.MaxRetries,
                TimeLimit = r.Seconds(CelerySettings.TaskTimeLimit) ?? o.Task.TimeLimit,
                SoftTimeLimit = r.Seconds(CelerySettings.TaskSoftTimeLimit) ?? o.Task.SoftTimeLimit,
                DefaultPriority = r.Int(CelerySettings.TaskDefaultPriority) ?? o.Task.DefaultPriority,
                SendSentEvent = r.Bool(CelerySettings.TaskSendSentEvent) ?? o.Task.SendSentEvent,
                QueueMaxPriority = r.Int(CelerySettings.TaskQueueMaxPriority) ?? o.Task.QueueMaxPriority,
                DefaultQueueType = r.String(CelerySettings.TaskDefaultQueueType) ?? o.Task.DefaultQueueType,
                DefaultExchangeType = r.String(CelerySettings.TaskDefaultExchangeType) ?? o.Task.DefaultExchangeType,
            },
            Worker = o.Worker with
            {
                Concurrency = r.Int(CelerySettings.WorkerConcurrency) ?? o.Worker.Concurrency,
                PrefetchMultiplier = r.Int(CelerySettings.WorkerPrefetchMultiplier) ?? o.Worker.PrefetchMultiplier,
                Hostname = r.String(CelerySettings.WorkerHostname) ?? o.Worker.Hostname,
                Queues = r.Has(CelerySettings.WorkerQueues) ? r.List(CelerySettings.WorkerQueues) : o.Worker.Queues,
                ShutdownTimeout = r.Seconds(CelerySettings.WorkerShutdownTimeout) ?? o.Worker.ShutdownTimeout,
                SendTaskEvents = r.Bool(CelerySettings.WorkerSendTaskEvents) ?? o.Worker.SendTaskEvents,
                DisableRateLimits = r.Bool(CelerySettings.WorkerDisableRateLimits) ?? o.Worker.DisableRateLimits,
                StateDb = r.String(CelerySettings.WorkerStateDb) ?? o.Worker.StateDb,
            },
            Beat = o.Beat with
            {
                Schedule = BeatScheduleConfiguration.Read(o.Beat.Schedule, section.GetSection(CelerySettings.BeatSchedule)),
                ScheduleFilename = r.String(CelerySettings.BeatScheduleFilename) ?? o.Beat.ScheduleFilename,
                MaxLoopInterval = r.Seconds(CelerySettings.BeatMaxLoopInterval) is { } maxLoop && maxLoop > TimeSpan.Zero ? maxLoop : o.Beat.MaxLoopInterval,
                LeaderLease = r.Seconds(CelerySettings.BeatLeaderLease) ?? o.Beat.LeaderLease,
                MissedRunPolicy = r.String(CelerySettings.BeatMissedRunPolicy) is { } policy ? BeatScheduleConfiguration.Policy(CelerySettings.BeatMissedRunPolicy, policy) : o.Beat.MissedRunPolicy,
                MissedRunGrace = r.Seconds(CelerySettings.BeatMissedRunGrace) ?? o.Beat.MissedRunGrace,
            },
        };
        return o;
    }

    /// <summary>Reads the <see cref="SectionName"/> section of <paramref name="configuration"/>.</summary>
    public static CeleriacOptions BindSection(IConfiguration configuration, CeleriacOptions? start = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Bind(configuration.GetSection(SectionName), start);
    }

    private static List<TaskRoute> Routes(IConfigurationSection section)
    {
        // Celery's dict form: {"pattern": "queue"} or {"pattern": {"queue": ..., "exchange": ..., "routing_key": ..., "priority": ...}}.
        var routes = new List<TaskRoute>();
        foreach (var entry in section.GetChildren())
        {
            var key = CelerySettings.TaskRoutes + "." + entry.Key;
            if (entry.Value is { } queue)
            {
                routes.Add(new TaskRoute(entry.Key, queue));
                continue;
            }

            var r = new Reader(entry);
            routes.Add(new TaskRoute(entry.Key, r.String("queue") ?? throw new CeleriacConfigurationException(key, "a route needs a 'queue'"))
            {
                Exchange = r.String("exchange"),
                RoutingKey = r.String("routing_key"),
                Priority = r.Int("priority"),
            });
        }

        return routes;
    }

    private sealed class Reader(IConfiguration section)
    {
        public bool Has(string key) => section.GetSection(key).Exists();

        public string? String(string key) => section[key] is { Length: > 0 } v ? v : null;

        public bool? Bool(string key) => section[key] switch
        {
            null or "" => null,
            var v when bool.TryParse(v, out var b) => b,
            "1" or "yes" or "on" => true,
            "0" or "no" or "off" => false,
            var v => throw new CeleriacConfigurationException(key, $"'{v}' is not a boolean (true/false)"),
        };

        public int? Int(string key) => section[key] switch
        {
            null or "" or "null" or "None" => null,
            var v when int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
            var v => throw new CeleriacConfigurationException(key, $"'{v}' is not a whole number"),
        };

        public TimeSpan? Seconds(string key) => section[key] switch
        {
            null or "" or "null" or "None" => null,
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) => s >= 0
                ? TimeSpan.FromSeconds(s)
                : throw new CeleriacConfigurationException(key, $"'{v}' must not be negative"),
            var v when TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out var t) => t,
            var v => throw new CeleriacConfigurationException(key, $"'{v}' is not a number of seconds or a hh:mm:ss duration"),
        };

        public List<string> List(string key)
        {
            var s = section.GetSection(key);
            if (s.Value is { } text)
            {
                return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            }

            return [.. s.GetChildren().Select(c => c.Value).OfType<string>()];
        }

        public Dictionary<string, string>? Map(string key)
        {
            var s = section.GetSection(key);
            if (!s.Exists())
            {
                return null;
            }

            return s.GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase);
        }
    }
}
