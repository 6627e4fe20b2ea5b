using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Dashboard.History;
using Celeriac.Dashboard.Security;
using Celeriac.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// What the pages read, beyond Flower's API: a paged and searchable task list with its total, a task with its
/// timeline, relations and stored result, a worker asked afresh, queues with consumers, the overview's series, the
/// beat schedule, and the session (user, role, CSRF token).
/// </summary>
internal static class UiApi
{
    public const int MaxPageSize = 500;

    public static void Map(IEndpointRouteBuilder api, DashboardContext dashboard)
    {
        api.MapGet("/api/ui/session", (HttpContext http) =>
        {
            var user = DashboardGuard.UserOf(http);
            return JsonResults.Json(new JsonObject
            {
                ["user"] = user.Name,
                ["role"] = user.Role == DashboardRole.Operator ? "operator" : "read-only",
                ["canAct"] = user.Role == DashboardRole.Operator,
                ["csrf"] = user.CsrfToken,
                ["broker"] = dashboard.App.BrokerOptionsUrl.Redacted,
                ["backend"] = dashboard.App.Options.ResultBackend is { } b ? Transport.BrokerUrl.Parse(b).Redacted : null,
                ["history"] = dashboard.Store.Path,
                ["beat"] = true,
                ["version"] = typeof(UiApi).Assembly.GetName().Version?.ToString(3),
            });
        });
        api.MapGet("/api/ui/tasks", (HttpRequest r, CancellationToken ct) => TasksAsync(dashboard, r, ct));
        api.MapGet("/api/ui/task/{id}", (string id, CancellationToken ct) => TaskAsync(dashboard, id, ct));
        api.MapGet("/api/ui/task-names", async (CancellationToken ct) =>
            JsonResults.Json(new JsonArray([.. (await dashboard.Store.GetTaskNamesAsync(ct).ConfigureAwait(false)).Select(n => (JsonNode)n)])));
        api.MapGet("/api/ui/workers", () => JsonResults.Json(new JsonArray([.. dashboard.Workers.All().Select(w => (JsonNode)DashboardJson.Worker(w))])));
        api.MapGet("/api/ui/worker/{name}", async (string name, CancellationToken ct) =>
        {
            if (!dashboard.Workers.Knows(name))
            {
                return JsonResults.Error(404, $"Unknown worker '{name}'");
            }

            var answered = dashboard.Workers.Get(name)!.Online
                ? await dashboard.Inspector.RefreshAsync([name], Monitoring.WorkerInspector.AllCommands, ct).ConfigureAwait(false)
                : new HashSet<string>();
            var view = dashboard.Workers.Get(name)!;
            var json = DashboardJson.Worker(view);
            json["reachable"] = answered.Contains(name);
            json["info"] = view.Info?.DeepClone();
            return JsonResults.Json(json);
        });
        api.MapGet("/api/ui/queues", async (CancellationToken ct) =>
        {
            var lengths = await dashboard.Queues.SampleAsync(ct).ConfigureAwait(false);
            var workers = dashboard.Workers.All().Where(w => w.Online).ToList();
            var queues = new JsonArray();
            foreach (var name in dashboard.Queues.QueueNames())
            {
                queues.Add(new JsonObject
                {
                    ["name"] = name,
                    ["messages"] = lengths.TryGetValue(name, out var n) ? n : null,
                    ["consumers"] = new JsonArray([.. workers.Where(w => w.Queues.Contains(name)).Select(w => (JsonNode)w.Hostname)]),
                });
            }

            return JsonResults.Json(new JsonObject
            {
                ["broker"] = dashboard.App.BrokerOptionsUrl.Redacted,
                ["transport"] = dashboard.App.Transport.Capabilities.Name,
                ["queues"] = queues,
            });
        });
        api.MapGet("/api/ui/overview", (HttpRequest r, CancellationToken ct) => OverviewAsync(dashboard, r, ct));
        api.MapGet("/api/ui/beat", async (CancellationToken ct) =>
        {
            try
            {
                var schedule = await dashboard.Beat.ReadAsync(ct).ConfigureAwait(false);
                return JsonResults.Json(Beat.BeatJson.Schedule(schedule, dashboard.Beat.Description));
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // The store is down or unreadable: say so on the page rather than fail it.
                return JsonResults.Json(new JsonObject { ["configured"] = true, ["source"] = dashboard.Beat.Description, ["error"] = ex.Message, ["entries"] = new JsonArray() });
            }
        });
        api.MapGet("/api/ui/stream", (HttpContext http) => LiveStream.RunAsync(dashboard, http));
    }

    private static async Task<IResult> TasksAsync(DashboardContext dashboard, HttpRequest r, CancellationToken ct)
    {
        try
        {
            var size = Math.Clamp(HttpArgs.Int(HttpArgs.Query(r, "size"), "size") ?? 25, 1, MaxPageSize);
            var page = Math.Max(1, HttpArgs.Int(HttpArgs.Query(r, "page"), "page") ?? 1);
            var sort = HttpArgs.Query(r, "sort") switch
            {
                null or "" or "seen" => TaskSort.Seen,
                "name" => TaskSort.Name,
                "state" => TaskSort.State,
                "worker" => TaskSort.Worker,
                "received" => TaskSort.Received,
                "started" => TaskSort.Started,
                "runtime" => TaskSort.Runtime,
                var other => throw new FormatException($"cannot sort by '{other}'"),
            };
            var query = new TaskQuery
            {
                States = HttpArgs.Query(r, "state") is { Length: > 0 } states ? [.. states.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant())] : [],
                Name = Empty(HttpArgs.Query(r, "name")),
                Worker = Empty(HttpArgs.Query(r, "worker")),
                SeenFrom = HttpArgs.Time(HttpArgs.Query(r, "from"), "from"),
                SeenTo = HttpArgs.Time(HttpArgs.Query(r, "to"), "to"),
                Search = Empty(HttpArgs.Query(r, "q")),
                Sort = sort,
                Descending = HttpArgs.Query(r, "dir") != "asc",
                Offset = (page - 1) * size,
                Limit = size,
            };
            var result = await dashboard.Store.QueryAsync(query, ct).ConfigureAwait(false);
            return JsonResults.Json(new JsonObject
            {
                ["total"] = result.Total,
                ["page"] = page,
                ["size"] = size,
                ["items"] = new JsonArray([.. result.Items.Select(t => (JsonNode)DashboardJson.TaskRow(t))]),
            });
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static async Task<IResult> TaskAsync(DashboardContext dashboard, string id, CancellationToken ct)
    {
        var task = await dashboard.Store.GetAsync(id, ct).ConfigureAwait(false);
        var stored = await StoredResultAsync(dashboard, id, ct).ConfigureAwait(false);
        if (task is null && stored is null)
        {
            return JsonResults.Error(404, $"Unknown task '{id}'");
        }

        var json = task is null ? new JsonObject { ["id"] = id, ["state"] = stored!["status"]?.DeepClone() } : DashboardJson.TaskDetail(task);
        json["timeline"] = new JsonArray([.. (await dashboard.Store.GetEventsAsync(id, ct).ConfigureAwait(false)).Select(e => (JsonNode)new JsonObject
        {
            ["type"] = e.Type,
            ["timestamp"] = e.Timestamp,
            ["fields"] = e.Fields,
        })]);
        json["children"] = new JsonArray([.. (await dashboard.Store.GetChildrenAsync(id, ct).ConfigureAwait(false)).Select(t => (JsonNode)DashboardJson.TaskRow(t))]);
        json["reruns"] = new JsonArray([.. (await dashboard.Store.GetRetriesAsync(id, ct).ConfigureAwait(false)).Select(t => (JsonNode)DashboardJson.TaskRow(t))]);
        if (task?.ParentId is { } parentId && await dashboard.Store.GetAsync(parentId, ct).ConfigureAwait(false) is { } parent)
        {
            json["parent"] = DashboardJson.TaskRow(parent);
        }

        if (task?.RetryOf is { } retryOf && await dashboard.Store.GetAsync(retryOf, ct).ConfigureAwait(false) is { } original)
        {
            json["rerunOf"] = DashboardJson.TaskRow(original);
        }

        json["stored"] = stored;
        return JsonResults.Json(json);
    }

    private static async Task<JsonObject?> StoredResultAsync(DashboardContext dashboard, string id, CancellationToken ct)
    {
        if (dashboard.App.Options.ResultBackend is null)
        {
            return null;
        }

        ResultMeta? meta;
        try
        {
            meta = await dashboard.App.Backend.GetAsync(id, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            return new JsonObject { ["error"] = ex.Message };
        }

        if (meta is null)
        {
            return null;
        }

        return new JsonObject
        {
            ["status"] = meta.Status,
            ["result"] = meta.Result?.DeepClone(),
            ["exception"] = meta.Exception?.ToString(),
            ["traceback"] = meta.Traceback,
            ["dateDone"] = meta.DateDone?.ToString("O", CultureInfo.InvariantCulture),
            ["groupId"] = meta.GroupId,
            ["parentId"] = meta.ParentId,
            ["children"] = meta.Children?.DeepClone(),
            ["name"] = meta.Name,
            ["args"] = meta.Args?.DeepClone(),
            ["kwargs"] = meta.Kwargs?.DeepClone(),
            ["worker"] = meta.Worker,
            ["queue"] = meta.Queue,
            ["retries"] = meta.Retries,
        };
    }

    private static async Task<IResult> OverviewAsync(DashboardContext dashboard, HttpRequest r, CancellationToken ct)
    {
        int minutes;
        try
        {
            minutes = Math.Clamp(HttpArgs.Int(HttpArgs.Query(r, "minutes"), "minutes") ?? 60, 5, 24 * 60);
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }

        var now = WireTime.ToUnixSeconds(dashboard.Time.GetUtcNow());
        var firstMinute = (long)Math.Floor(now / 60) - minutes + 1;
        var since = firstMinute * 60.0;
        var (succeeded, failed) = await dashboard.Store.ThroughputAsync(since, ct).ConfigureAwait(false);
        var runtimes = await dashboard.Store.RuntimesAsync(since, 50_000, ct).ConfigureAwait(false);
        var byMinute = runtimes.GroupBy(x => (long)Math.Floor(x.Succeeded / 60)).ToDictionary(g => g.Key, g => g.Select(x => x.Runtime).Order().ToArray());

        var throughput = new JsonArray();
        var runtime = new JsonArray();
        for (var m = firstMinute; m < firstMinute + minutes; m++)
        {
            throughput.Add(new JsonObject { ["t"] = m * 60, ["succeeded"] = succeeded.GetValueOrDefault(m), ["failed"] = failed.GetValueOrDefault(m) });
            if (byMinute.TryGetValue(m, out var sorted))
            {
                runtime.Add(new JsonObject { ["t"] = m * 60, ["p50"] = Percentile(sorted, 0.50), ["p95"] = Percentile(sorted, 0.95), ["p99"] = Percentile(sorted, 0.99), ["n"] = sorted.Length });
            }
        }

        var all = runtimes.Select(x => x.Runtime).Order().ToArray();
        var samples = await dashboard.Store.GetQueueSamplesAsync(since, ct).ConfigureAwait(false);
        var depth = new JsonArray();
        foreach (var g in samples.GroupBy(s => s.Timestamp).OrderBy(g => g.Key))
        {
            var values = new JsonObject();
            foreach (var s in g)
            {
                values[s.Queue] = s.Length;
            }

            depth.Add(new JsonObject { ["t"] = g.Key, ["values"] = values });
        }

        var counts = new JsonObject();
        foreach (var (state, n) in await dashboard.Store.CountByStateAsync(ct).ConfigureAwait(false))
        {
            counts[state] = n;
        }

        var workers = dashboard.Workers.All();
        return JsonResults.Json(new JsonObject
        {
            ["now"] = now,
            ["minutes"] = minutes,
            ["counts"] = counts,
            ["workersOnline"] = workers.Count(w => w.Online),
            ["workersTotal"] = workers.Count,
            ["throughput"] = throughput,
            ["runtime"] = new JsonObject
            {
                ["p50"] = all.Length > 0 ? Percentile(all, 0.50) : null,
                ["p90"] = all.Length > 0 ? Percentile(all, 0.90) : null,
                ["p99"] = all.Length > 0 ? Percentile(all, 0.99) : null,
                ["n"] = all.Length,
                ["perMinute"] = runtime,
            },
            ["queues"] = new JsonArray([.. samples.Select(s => s.Queue).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(q => (JsonNode)q)]),
            ["queueDepth"] = depth,
        });
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
