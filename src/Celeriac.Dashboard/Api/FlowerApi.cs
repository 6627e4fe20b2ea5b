using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Dashboard.History;
using Celeriac.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// Flower's REST API, same paths, arguments, JSON keys and status codes (404 unknown worker or task, 403 read-only,
/// 503 no result backend), so scripts written for Flower keep working. Source: flower/urls.py, flower/api/*.py.
/// </summary>
internal static class FlowerApi
{
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss.FFFFFF";
    private static readonly string[] ConsumerOptions = ["exchange", "exchange_type", "routing_key"];

    public static void Map(IEndpointRouteBuilder api, DashboardContext dashboard)
    {
        api.MapGet("/api/workers", (HttpRequest r, CancellationToken ct) => WorkersAsync(dashboard, r, ct));
        api.MapPost("/api/worker/shutdown/{name}", async (string name, CancellationToken ct) => JsonResults.From(await dashboard.Actions.ShutdownAsync(name, ct).ConfigureAwait(false)));
        api.MapPost("/api/worker/pool/restart/{name}", (string name, CancellationToken ct) =>
            ControlAsync(dashboard, name, "pool_restart", new JsonObject { ["reload"] = false }, $"Restarting '{name}' worker's pool", ct));
        api.MapPost("/api/worker/pool/grow/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var n = HttpArgs.Int(await HttpArgs.GetAsync(r, "n").ConfigureAwait(false), "n") ?? 1;
            return await ControlAsync(dashboard, name, "pool_grow", new JsonObject { ["n"] = n }, $"Growing '{name}' worker's pool by {n}", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/worker/pool/shrink/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var n = HttpArgs.Int(await HttpArgs.GetAsync(r, "n").ConfigureAwait(false), "n") ?? 1;
            return await ControlAsync(dashboard, name, "pool_shrink", new JsonObject { ["n"] = n }, $"Shrinking '{name}' worker's pool by {n}", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/worker/pool/autoscale/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var min = HttpArgs.Int(await HttpArgs.GetAsync(r, "min").ConfigureAwait(false), "min");
            var max = HttpArgs.Int(await HttpArgs.GetAsync(r, "max").ConfigureAwait(false), "max");
            if (min is null || max is null)
            {
                return JsonResults.Error(400, "'min' and 'max' are required");
            }

            return await ControlAsync(dashboard, name, "autoscale", new JsonObject { ["max"] = max, ["min"] = min }, $"Autoscaling '{name}' worker (min={min}, max={max})", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/worker/queue/add-consumer/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var queue = await HttpArgs.GetAsync(r, "queue").ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(queue))
            {
                return JsonResults.Error(400, "'queue' is required");
            }

            var args = new JsonObject { ["queue"] = queue };
            foreach (var optional in ConsumerOptions)
            {
                if (await HttpArgs.GetAsync(r, optional).ConfigureAwait(false) is { Length: > 0 } value)
                {
                    args[optional] = value;
                }
            }

            return await ControlAsync(dashboard, name, "add_consumer", args, $"add consumer {queue}", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/worker/queue/cancel-consumer/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var queue = await HttpArgs.GetAsync(r, "queue").ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(queue))
            {
                return JsonResults.Error(400, "'queue' is required");
            }

            return await ControlAsync(dashboard, name, "cancel_consumer", new JsonObject { ["queue"] = queue }, $"no longer consuming from {queue}", ct).ConfigureAwait(false);
        });

        api.MapGet("/api/tasks", (HttpRequest r, CancellationToken ct) => TasksAsync(dashboard, r, ct));
        api.MapGet("/api/task/types", async (CancellationToken ct) =>
            JsonResults.Json(new JsonObject { ["task-types"] = new JsonArray([.. (await dashboard.Store.GetTaskNamesAsync(ct).ConfigureAwait(false)).Select(n => (JsonNode)n)]) }));
        api.MapGet("/api/queues/length", async (CancellationToken ct) =>
        {
            var lengths = await dashboard.Queues.SampleAsync(ct).ConfigureAwait(false);
            return JsonResults.Json(new JsonObject
            {
                ["active_queues"] = new JsonArray([.. lengths.Select(p => (JsonNode)new JsonObject { ["name"] = p.Key, ["messages"] = p.Value })]),
            });
        });
        api.MapGet("/api/task/info/{id}", async (string id, CancellationToken ct) =>
        {
            var task = await dashboard.Store.GetAsync(id, ct).ConfigureAwait(false);
            if (task is null)
            {
                return JsonResults.Error(404, $"Unknown task '{id}'");
            }

            var json = DashboardJson.FlowerTask(task);
            json["task-id"] = task.Id;
            return JsonResults.Json(json);
        });
        api.MapPost("/api/task/apply/{name}", (string name, HttpRequest r, CancellationToken ct) => ApplyAsync(dashboard, name, r, wait: true, requireKnown: true, ct));
        api.MapPost("/api/task/async-apply/{name}", (string name, HttpRequest r, CancellationToken ct) => ApplyAsync(dashboard, name, r, wait: false, requireKnown: true, ct));
        api.MapPost("/api/task/send-task/{name}", (string name, HttpRequest r, CancellationToken ct) => ApplyAsync(dashboard, name, r, wait: false, requireKnown: false, ct));
        api.MapGet("/api/task/result/{id}", (string id, HttpRequest r, CancellationToken ct) => ResultAsync(dashboard, id, r, ct));
        api.MapPost("/api/task/abort/{id}", async (string id, CancellationToken ct) =>
        {
            if (dashboard.App.Options.ResultBackend is null)
            {
                return JsonResults.Error(503, "no result backend is configured");
            }

            // AbortableAsyncResult.abort(): the ABORTED state in the backend, which an abortable task polls.
            await dashboard.App.Backend.StoreAsync(new ResultMeta { TaskId = id, Status = "ABORTED", DateDone = null }, ct).ConfigureAwait(false);
            return JsonResults.Json(new JsonObject { ["message"] = $"Aborted '{id}'" });
        });
        api.MapPost("/api/task/timeout/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var worker = await HttpArgs.GetAsync(r, "workername").ConfigureAwait(false);
            var hard = HttpArgs.Double(await HttpArgs.GetAsync(r, "hard").ConfigureAwait(false), "hard");
            var soft = HttpArgs.Double(await HttpArgs.GetAsync(r, "soft").ConfigureAwait(false), "soft");
            if (string.IsNullOrEmpty(worker))
            {
                return JsonResults.Error(400, "'workername' is required");
            }

            return await ControlAsync(dashboard, worker, "time_limit", new JsonObject { ["task_name"] = name, ["hard"] = hard, ["soft"] = soft }, $"time limits set for {name}", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/task/rate-limit/{name}", async (string name, HttpRequest r, CancellationToken ct) =>
        {
            var worker = await HttpArgs.GetAsync(r, "workername").ConfigureAwait(false);
            var rate = await HttpArgs.GetAsync(r, "ratelimit").ConfigureAwait(false);
            if (string.IsNullOrEmpty(worker) || rate is null)
            {
                return JsonResults.Error(400, "'workername' and 'ratelimit' are required");
            }

            return await ControlAsync(dashboard, worker, "rate_limit", new JsonObject { ["task_name"] = name, ["rate_limit"] = rate }, $"new rate limit set for {name}", ct).ConfigureAwait(false);
        });
        api.MapPost("/api/task/revoke/{id}", async (string id, HttpRequest r, CancellationToken ct) =>
        {
            var terminate = HttpArgs.Bool(await HttpArgs.GetAsync(r, "terminate").ConfigureAwait(false));
            var signal = await HttpArgs.GetAsync(r, "signal").ConfigureAwait(false) ?? "SIGTERM";
            return JsonResults.From(await dashboard.Actions.RevokeAsync(id, terminate, signal, ct).ConfigureAwait(false));
        });

        // Not in Flower: re-run a task with its own arguments (the task page's Retry button).
        api.MapPost("/api/task/retry/{id}", async (string id, CancellationToken ct) => JsonResults.From(await dashboard.Actions.RetryAsync(id, ct).ConfigureAwait(false)));
    }

    private static async Task<IResult> ControlAsync(DashboardContext dashboard, string worker, string command, JsonObject args, string done, CancellationToken ct) =>
        JsonResults.From(await dashboard.Actions.ControlAsync(worker, command, args, done, ct).ConfigureAwait(false));

    private static async Task<IResult> WorkersAsync(DashboardContext dashboard, HttpRequest r, CancellationToken ct)
    {
        var refresh = HttpArgs.Bool(HttpArgs.Query(r, "refresh"));
        var status = HttpArgs.Bool(HttpArgs.Query(r, "status"));
        var name = HttpArgs.Query(r, "workername");
        if (name is not null && !dashboard.Workers.Knows(name))
        {
            return JsonResults.Error(404, $"Unknown worker '{name}'");
        }

        if (refresh)
        {
            var targets = name is null ? dashboard.Workers.OnlineNames : [name];
            await dashboard.Inspector.RefreshAsync(targets, Monitoring.WorkerInspector.AllCommands, ct).ConfigureAwait(false);
        }

        var result = new JsonObject();
        foreach (var w in dashboard.Workers.All().Where(w => name is null || w.Hostname == name))
        {
            if (status)
            {
                result[w.Hostname] = w.Online;
                continue;
            }

            var info = (JsonObject?)w.Info?.DeepClone() ?? [];
            info["timestamp"] = w.LastHeartbeat;
            result[w.Hostname] = info;
        }

        return JsonResults.Json(result);
    }

    private static async Task<IResult> TasksAsync(DashboardContext dashboard, HttpRequest r, CancellationToken ct)
    {
        TaskQuery query;
        try
        {
            var sortBy = HttpArgs.Query(r, "sort_by");
            var descending = sortBy is null || sortBy.StartsWith('-');
            var sort = sortBy?.TrimStart('-') switch
            {
                null or "" => TaskSort.Seen,
                "name" => TaskSort.Name,
                "state" => TaskSort.State,
                "received" => TaskSort.Received,
                "started" => TaskSort.Started,
                "runtime" => TaskSort.Runtime,
                "worker" => TaskSort.Worker,
                var other => throw new FormatException($"cannot sort by '{other}'; use name, state, received, started, runtime or worker"),
            };
            query = new TaskQuery
            {
                Limit = HttpArgs.Int(HttpArgs.Query(r, "limit"), "limit") ?? int.MaxValue,
                Offset = Math.Max(0, HttpArgs.Int(HttpArgs.Query(r, "offset"), "offset") ?? 0),
                Worker = All(HttpArgs.Query(r, "workername")),
                Name = All(HttpArgs.Query(r, "taskname")),
                States = All(HttpArgs.Query(r, "state")) is { } s ? [s.ToUpperInvariant()] : [],
                ReceivedFrom = HttpArgs.Time(HttpArgs.Query(r, "received_start"), "received_start"),
                ReceivedTo = HttpArgs.Time(HttpArgs.Query(r, "received_end"), "received_end"),
                Search = HttpArgs.Query(r, "search"),
                Sort = sort,

                // Flower's explicit sort_by is ascending unless it starts with '-'; its default lists the newest first.
                Descending = descending,
            };
            var page = await dashboard.Store.QueryAsync(query, ct).ConfigureAwait(false);
            var result = new JsonObject();
            foreach (var t in page.Items)
            {
                result[t.Id] = DashboardJson.FlowerTask(t);
            }

            return JsonResults.Json(result);
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }
    }

    private static string? All(string? value) => value is null or "" or "All" ? null : value;

    private static async Task<IResult> ApplyAsync(DashboardContext dashboard, string name, HttpRequest r, bool wait, bool requireKnown, CancellationToken ct)
    {
        JsonObject body;
        ApplyOptions options;
        try
        {
            body = await HttpArgs.JsonBodyAsync(r).ConfigureAwait(false);
            options = Options(body);
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }

        var args = body["args"] ?? new JsonArray();
        if (args is not JsonArray argsArray)
        {
            return JsonResults.Error(400, "args must be an array");
        }

        var kwargs = body["kwargs"] ?? new JsonObject();
        if (kwargs is not JsonObject kwargsObject)
        {
            return JsonResults.Error(400, "kwargs must be an object");
        }

        if (requireKnown && !IsKnownTask(dashboard, name))
        {
            return JsonResults.Error(404, $"Unknown task '{name}'");
        }

        var (id, state) = await dashboard.Actions.SendAsync(name, argsArray, kwargsObject, options, ct).ConfigureAwait(false);
        var response = new JsonObject { ["task-id"] = id };
        if (wait)
        {
            if (dashboard.App.Options.ResultBackend is null)
            {
                return JsonResults.Json(response);
            }

            var meta = await dashboard.App.Backend.WaitForReadyAsync(id, ct).ConfigureAwait(false);
            AddResult(response, meta);
            response["state"] = meta.Status;
            return JsonResults.Json(response);
        }

        if (state is not null)
        {
            response["state"] = state;
        }

        return JsonResults.Json(response);
    }

    private static async Task<IResult> ResultAsync(DashboardContext dashboard, string id, HttpRequest r, CancellationToken ct)
    {
        if (dashboard.App.Options.ResultBackend is null)
        {
            return JsonResults.Error(503, "no result backend is configured");
        }

        double? timeout;
        try
        {
            timeout = HttpArgs.Double(HttpArgs.Query(r, "timeout"), "timeout");
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }

        var meta = await dashboard.App.Backend.GetAsync(id, ct).ConfigureAwait(false);
        if (timeout is > 0 && (meta is null || !TaskStates.IsReady(meta.Status)))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(timeout.Value));
            try
            {
                meta = await dashboard.App.Backend.WaitForReadyAsync(id, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return JsonResults.Error(408, $"'{id}' was not ready within {timeout.Value.ToString(CultureInfo.InvariantCulture)} s");
            }
        }

        var response = new JsonObject { ["task-id"] = id, ["state"] = meta?.Status ?? TaskStates.Pending };
        if (meta is not null && TaskStates.IsReady(meta.Status))
        {
            AddResult(response, meta);
        }

        return JsonResults.Json(response);
    }

    private static void AddResult(JsonObject response, ResultMeta meta)
    {
        if (meta.Status == TaskStates.Failure)
        {
            // Flower's safe_result: an exception is not JSON, so it is given as its repr.
            response["result"] = meta.Exception?.ToString() ?? meta.Result?.DeepClone();
            response["traceback"] = meta.Traceback;
        }
        else
        {
            response["result"] = meta.Result?.DeepClone();
        }
    }

    internal static bool IsKnownTask(DashboardContext dashboard, string name)
    {
        if (dashboard.App.Tasks.TryGet(name, out _))
        {
            return true;
        }

        foreach (var w in dashboard.Workers.All())
        {
            if (w.Info?["registered"] is JsonArray registered && registered.Any(n => n?.ToString().Split(' ')[0] == name))
            {
                return true;
            }
        }

        return false;
    }

    private static ApplyOptions Options(JsonObject body)
    {
        // Flower passes the other top-level keys to apply_async; these are the ones a JSON body can carry.
        var o = new ApplyOptions();
        if (body["countdown"] is { } countdown)
        {
            o = o with { Countdown = TimeSpan.FromSeconds(Number(countdown, "countdown")) };
        }

        if (body["eta"] is { } eta)
        {
            o = o with { Eta = Date(eta, "eta") };
        }

        if (body["expires"] is { } expires)
        {
            o = expires is JsonValue v && v.TryGetValue<string>(out var text) && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? o with { Expires = Date(expires, "expires") }
                : o with { ExpiresIn = TimeSpan.FromSeconds(Number(expires, "expires")) };
        }

        if (body["queue"] is JsonValue queue)
        {
            o = o with { Queue = queue.ToString() };
        }

        if (body["routing_key"] is JsonValue routingKey)
        {
            o = o with { RoutingKey = routingKey.ToString() };
        }

        if (body["exchange"] is JsonValue exchange)
        {
            o = o with { Exchange = exchange.ToString() };
        }

        if (body["priority"] is { } priority)
        {
            o = o with { Priority = (int)Number(priority, "priority") };
        }

        if (body["task_id"] is JsonValue taskId)
        {
            o = o with { TaskId = taskId.ToString() };
        }

        return o;
    }

    private static double Number(JsonNode node, string name)
    {
        if (JsonNumbers.TryGetDouble(node, out var d) || (node is JsonValue v && v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d)))
        {
            return d;
        }

        throw new FormatException($"Invalid option: '{name}' must be a number");
    }

    private static DateTimeOffset Date(JsonNode node, string name)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s) &&
            DateTimeOffset.TryParseExact(s, [DateFormat, "yyyy-MM-dd HH:mm:ss", "O"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            return when;
        }

        throw new FormatException($"Invalid option: '{name}' must be a date like 2026-01-31 14:05:00.000000");
    }
}
