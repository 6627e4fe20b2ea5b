using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Worker.Control;

/// <summary>
/// The remote-control commands this worker answers, by Celery's method names and with Celery's reply shapes, so
/// Celery's own <c>inspect</c>/<c>control</c> read them. A handler returning <see cref="NoReply"/> sends nothing.
/// Source: celery/worker/control.py.
/// </summary>
internal sealed class ControlHandlers
{
    /// <summary>Marks a command that is not answered (Celery's <c>shutdown</c>).</summary>
    public static readonly JsonObject NoReply = new() { ["__no_reply__"] = true };

    private readonly Dictionary<string, Func<JsonObject, JsonNode?>> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<JsonObject, ValueTask<JsonNode?>>> _asyncHandlers = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _rateLimitTexts = new(StringComparer.Ordinal);
    private readonly IWorkerControl _worker;

    public ControlHandlers(IWorkerControl worker, Microsoft.Extensions.Logging.ILogger logger)
    {
        _worker = worker;
        var consumers = new ConsumerCommands(worker, logger);
        _asyncHandlers["add_consumer"] = consumers.AddAsync;
        _asyncHandlers["cancel_consumer"] = consumers.CancelAsync;
        _handlers["ping"] = _ => Ok("pong");
        _handlers["clock"] = _ => new JsonObject { ["clock"] = _worker.App.Clock.Value };
        _handlers["stats"] = _ => Stats();
        _handlers["active"] = a => new JsonArray([.. _worker.State.Active.Values.Select(r => (JsonNode)RequestInfo.Of(r, Bool(a, "safe")))]);
        _handlers["reserved"] = _ => new JsonArray([.. _worker.State.Reserved.Values.Select(r => (JsonNode)RequestInfo.Of(r))]);
        _handlers["scheduled"] = _ => new JsonArray([.. _worker.State.Scheduled.Values.Select(r => (JsonNode)new JsonObject
        {
            ["eta"] = r.Request.Eta is { } eta ? WireTime.FormatAware(eta) : null,
            ["priority"] = 6,
            ["request"] = RequestInfo.Of(r),
        })]);
        _handlers["revoked"] = _ => new JsonArray([.. _worker.App.Revocations.Ids.Order(StringComparer.Ordinal).Select(id => (JsonNode)id)]);
        _handlers["registered"] = _ => Registered();
        _handlers["active_queues"] = _ => new JsonArray([.. _worker.ConsumedQueues.All.Select(q => (JsonNode)QueueInfo(q))]);
        _handlers["query_task"] = QueryTask;
        _handlers["conf"] = _ => Conf();
        _handlers["report"] = _ => Ok(Report());
        _handlers["hello"] = Hello;
        _handlers["revoke"] = a => Revoke(a, Bool(a, "terminate"));
        _handlers["terminate"] = a => Revoke(a, terminate: true);
        _handlers["enable_events"] = _ => ToggleEvents(true);
        _handlers["disable_events"] = _ => ToggleEvents(false);
        _handlers["heartbeat"] = args =>
        {
            _ = _worker.Events.HeartbeatNowAsync().AsTask();
            return null;
        };
        _handlers["time_limit"] = TimeLimit;
        _handlers["rate_limit"] = SetRateLimit;
        _handlers["pool_grow"] = a =>
        {
            _worker.ResizePool(Int(a, "n") ?? 1);
            return Ok("pool will grow");
        };
        _handlers["pool_shrink"] = a =>
        {
            var n = Math.Min(Int(a, "n") ?? 1, _worker.Concurrency - 1);
            _worker.ResizePool(-n);
            return Ok("pool will shrink");
        };
        _handlers["shutdown"] = _ =>
        {
            _worker.BeginShutdown();
            return NoReply;
        };
    }

    public IReadOnlyCollection<string> Methods => [.. _handlers.Keys, .. _asyncHandlers.Keys];

    /// <summary>Runs <paramref name="method"/>; an unknown one or a failing handler gives Celery's error reply.</summary>
    public async ValueTask<JsonNode?> HandleAsync(string method, JsonObject arguments)
    {
        try
        {
            if (_handlers.TryGetValue(method, out var handler))
            {
                return handler(arguments);
            }

            if (_asyncHandlers.TryGetValue(method, out var asyncHandler))
            {
                return await asyncHandler(arguments).ConfigureAwait(false);
            }

            return new JsonObject { ["error"] = $"KeyError('{method}')" };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new JsonObject { ["error"] = $"{ex.GetType().Name}('{ex.Message}')" };
        }
    }

    private static JsonObject Ok(string text) => new() { ["ok"] = text };

    private static bool Bool(JsonObject a, string key) => a[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True;

    private static int? Int(JsonObject a, string key) => JsonNumbers.TryGetInt32(a[key], out var i) ? i : null;

    private static double? Double(JsonObject a, string key) => JsonNumbers.TryGetDouble(a[key], out var d) ? d : null;

    private static List<string> Ids(JsonNode? node) => node switch
    {
        JsonArray list => [.. list.Select(n => n?.ToString()).OfType<string>()],
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => [v.GetValue<string>()],
        _ => [],
    };

    private JsonObject Revoke(JsonObject a, bool terminate)
    {
        var ids = Ids(a["task_id"]);
        if (!terminate)
        {
            _worker.App.Revocations.Revoke(ids, terminate: false);
            return Ok($"tasks {string.Join(", ", ids)} flagged as revoked");
        }

        var running = ids.Where(_worker.State.Active.ContainsKey).ToList();
        _worker.App.Revocations.Revoke(ids, terminate: true);
        return Ok(running.Count == 0 ? "terminate: tasks unknown" : "terminate: " + string.Join(", ", running));
    }

    private JsonObject ToggleEvents(bool enable)
    {
        var was = _worker.Events.TaskEventsEnabled;
        _worker.Events.TaskEventsEnabled = enable;
        var what = enable ? "enabled" : "disabled";
        return Ok(was == enable ? $"task events already {what}" : $"task events {what}");
    }

    private JsonObject TimeLimit(JsonObject a)
    {
        var name = a["task_name"]?.ToString() ?? string.Empty;
        if (!_worker.App.Tasks.TryGet(name, out _))
        {
            return new JsonObject { ["error"] = "unknown task" };
        }

        _worker.State.TimeLimits[name] = new Protocol.TimeLimit(Double(a, "hard"), Double(a, "soft"));
        return Ok("time limits set successfully");
    }

    private JsonObject SetRateLimit(JsonObject a)
    {
        var name = a["task_name"]?.ToString() ?? string.Empty;
        if (!_worker.App.Tasks.TryGet(name, out _))
        {
            return new JsonObject { ["error"] = "unknown task" };
        }

        double? rate;
        try
        {
            rate = Tasks.RateLimit.Parse(a["rate_limit"]?.ToString());
        }
        catch (FormatException ex)
        {
            return new JsonObject { ["error"] = ex.Message };
        }

        _worker.RateLimits.SetRate(name, rate);
        // Shown by `registered` as Celery shows the task attribute the command sets (null: none).
        _rateLimitTexts[name] = a["rate_limit"]?.ToString();

        return Ok(rate is null ? "rate limit disabled successfully" : "new rate limit set successfully");
    }

    private JsonObject QueryTask(JsonObject a)
    {
        var reply = new JsonObject();
        foreach (var id in Ids(a["ids"]))
        {
            if (_worker.State.Active.TryGetValue(id, out var active))
            {
                reply[id] = new JsonArray("active", RequestInfo.Of(active));
            }
            else if (_worker.State.Reserved.TryGetValue(id, out var reserved))
            {
                reply[id] = new JsonArray("reserved", RequestInfo.Of(reserved));
            }
            else if (_worker.State.Scheduled.TryGetValue(id, out var scheduled))
            {
                reply[id] = new JsonArray("scheduled", RequestInfo.Of(scheduled));
            }
        }

        return reply;
    }

    /// <summary>
    /// Mingle's <c>hello</c> from a starting worker: take its revoked ids, answer with ours (Celery's
    /// <c>{id: [monotonic, id]}</c>) and a forwarded clock; nothing for our own hello.
    /// </summary>
    private JsonObject? Hello(JsonObject a)
    {
        if (a["from_node"]?.ToString() == _worker.Hostname)
        {
            return null;
        }

        if (a["revoked"] is JsonObject theirs && theirs.Count > 0)
        {
            _worker.App.Revocations.Merge(RevokedMap.FromWire(theirs, _worker.App.TimeProvider));
        }

        return new JsonObject
        {
            ["revoked"] = RevokedMap.ToWire(_worker.App.Revocations.Snapshot(), _worker.App.TimeProvider),
            ["clock"] = _worker.App.Clock.Forward(),
        };
    }

    private JsonObject Stats()
    {
        var total = new JsonObject();
        foreach (var (name, count) in _worker.State.ProcessedByName.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            total[name] = count;
        }

        var url = _worker.Broker;
        using var process = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["total"] = total,
            ["pid"] = Environment.ProcessId,
            ["clock"] = _worker.App.Clock.Value.ToString(CultureInfo.InvariantCulture),
            ["uptime"] = (long)(_worker.App.TimeProvider.GetUtcNow() - _worker.StartedAt).TotalSeconds,
            ["pool"] = new JsonObject
            {
                ["max-concurrency"] = _worker.Concurrency,
                ["threads"] = _worker.Concurrency,
                ["implementation"] = "celeriac:async",
            },
            ["broker"] = new JsonObject
            {
                ["hostname"] = url.Host,
                ["userid"] = url.UserName,
                ["virtual_host"] = url.Path,
                ["port"] = url.Port,
                ["insist"] = false,
                ["ssl"] = url.Scheme is "rediss" or "amqps",
                ["transport"] = _worker.App.Transport.Capabilities.Name,
                ["connect_timeout"] = _worker.App.Options.Broker.ConnectionTimeout.TotalSeconds,
                ["transport_options"] = new JsonObject([.. _worker.App.Options.Broker.TransportOptions.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]),
                ["login_method"] = null,
                ["uri_prefix"] = null,
                ["heartbeat"] = 120.0,
                ["failover_strategy"] = "round-robin",
                ["alternates"] = new JsonArray(),
            },
            ["prefetch_count"] = _worker.PrefetchCount,
            ["rusage"] = new JsonObject
            {
                ["utime"] = process.UserProcessorTime.TotalSeconds,
                ["stime"] = process.PrivilegedProcessorTime.TotalSeconds,
                ["maxrss"] = process.PeakWorkingSet64 / 1024,
            },
        };
    }

    /// <summary>
    /// Task names, without Celery's own <c>celery.*</c>, sorted; one with a rate limit (its own or set at runtime) as
    /// <c>name [rate_limit=10/m]</c>, as Celery renders its default info items.
    /// </summary>
    private JsonArray Registered() => new([.. _worker.App.Tasks.All
        .Where(t => !t.Name.StartsWith("celery.", StringComparison.Ordinal))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (JsonNode)((_rateLimitTexts.TryGetValue(t.Name, out var rate) ? rate : t.Settings.RateLimit) is { } r ? $"{t.Name} [rate_limit={r}]" : t.Name))]);

    private static JsonObject QueueInfo(ConsumedQueue queue) => new()
    {
        ["name"] = queue.Name,
        ["exchange"] = new JsonObject
        {
            ["name"] = queue.Exchange,
            ["type"] = queue.ExchangeType,
            ["arguments"] = null,
            ["durable"] = true,
            ["passive"] = false,
            ["auto_delete"] = false,
            ["delivery_mode"] = null,
            ["no_declare"] = false,
        },
        ["routing_key"] = queue.RoutingKey,
        ["queue_arguments"] = null,
        ["binding_arguments"] = null,
        ["consumer_arguments"] = null,
        ["durable"] = true,
        ["exclusive"] = false,
        ["auto_delete"] = false,
        ["no_ack"] = false,
        ["alias"] = null,
        ["bindings"] = new JsonArray(),
        ["no_declare"] = null,
        ["expires"] = null,
        ["message_ttl"] = null,
        ["max_length"] = null,
        ["max_length_bytes"] = null,
        ["max_priority"] = null,
    };

    private JsonObject Conf()
    {
        var o = _worker.App.Options;
        return new JsonObject
        {
            ["broker_url"] = _worker.Broker.Redacted,
            ["result_backend"] = o.ResultBackend is null ? null : Transport.BrokerUrl.Parse(o.ResultBackend).Redacted,
            ["timezone"] = o.Timezone,
            ["task_default_queue"] = o.Task.DefaultQueue,
            ["task_serializer"] = o.Task.Serializer,
            ["accept_content"] = new JsonArray([.. o.Task.AcceptContent.Select(c => (JsonNode)c)]),
            ["task_acks_late"] = o.Task.AcksLate,
            ["task_reject_on_worker_lost"] = o.Task.RejectOnWorkerLost,
            ["task_track_started"] = o.Task.TrackStarted,
            ["task_ignore_result"] = o.Task.IgnoreResult,
            ["task_default_retry_delay"] = o.Task.DefaultRetryDelay.TotalSeconds,
            ["task_time_limit"] = o.Task.TimeLimit?.TotalSeconds,
            ["task_soft_time_limit"] = o.Task.SoftTimeLimit?.TotalSeconds,
            ["result_expires"] = o.Result.Expires?.TotalSeconds,
            ["result_extended"] = o.Result.Extended,
            ["worker_concurrency"] = _worker.Concurrency,
            ["worker_prefetch_multiplier"] = _worker.Options.PrefetchMultiplier,
            ["worker_send_task_events"] = _worker.Events.TaskEventsEnabled,
        };
    }

    private string Report() =>
        $"""
        software -> celeriac:{typeof(ControlHandlers).Assembly.GetName().Version?.ToString(3)} (.NET {Environment.Version}) os:{System.Runtime.InteropServices.RuntimeInformation.OSDescription}
        node -> {_worker.Hostname} pid:{Environment.ProcessId}
        settings -> transport:{_worker.App.Transport.Capabilities.Name} results:{(_worker.App.Options.ResultBackend is null ? "disabled" : _worker.App.Backend.Capabilities.Name)}
        """;
}
