using System.Net;
using System.Text.Json.Nodes;
using Celeriac.Client;

namespace Celeriac.Dashboard.Tests;

/// <summary>Flower's REST API against the real cluster: a Celeriac worker and a Python Celery worker on Redis.</summary>
[Collection(ClusterGroup.Name)]
public sealed class FlowerApiTests(Cluster cluster) : IDisposable
{
    private readonly Http _http = new(cluster.Dashboard.Url);

    public void Dispose() => _http.Dispose();

    private Http Http => _http;

    private async Task<JsonNode> FinishedAsync(string id, string state = "SUCCESS") =>
        (await Poll.UntilAsync(async () => (await Http.GetAsync("api/task/info/" + id)).Json, j => j?["state"]?.ToString() == state, $"{id} in state {state}"))!;

    private async Task<JsonObject> WorkersAsync(bool refresh = false) => (JsonObject)await Http.JsonAsync("api/workers" + (refresh ? "?refresh=true" : string.Empty));

    private async Task BothWorkersKnownAsync() =>
        await Poll.UntilAsync(async () => await WorkersAsync(), w => w.ContainsKey(Cluster.CeleriacWorker) && w.ContainsKey(Cluster.PythonWorker) && w[Cluster.PythonWorker]?["stats"] is not null && w[Cluster.CeleriacWorker]?["stats"] is not null, "both workers inspected");

    [Fact]
    public async Task Workers_lists_both_workers_with_their_inspect_replies_and_status()
    {
        await BothWorkersKnownAsync();
        var workers = await WorkersAsync(refresh: true);
        foreach (var (name, queue) in new[] { (Cluster.CeleriacWorker, "celery"), (Cluster.PythonWorker, "py") })
        {
            var w = workers[name]!;
            Assert.NotNull(w["stats"]?["pool"]);
            Assert.Contains(queue, w["active_queues"]!.AsArray().Select(q => q!["name"]?.ToString()));
            Assert.NotEmpty(w["registered"]!.AsArray());
            Assert.NotNull(w["conf"]);
            Assert.NotNull(w["timestamp"]);
        }

        Assert.Contains("interop.add", workers[Cluster.PythonWorker]!["registered"]!.AsArray().Select(n => n!.ToString()));
        Assert.Contains("dash.add", workers[Cluster.CeleriacWorker]!["registered"]!.AsArray().Select(n => n!.ToString()));

        var status = (JsonObject)await Http.JsonAsync("api/workers?status=true");
        Assert.True(status[Cluster.PythonWorker]!.GetValue<bool>());
        Assert.True(status[Cluster.CeleriacWorker]!.GetValue<bool>());

        var one = (JsonObject)await Http.JsonAsync("api/workers?workername=" + Cluster.PythonWorker);
        Assert.Equal([Cluster.PythonWorker], one.Select(p => p.Key));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("api/workers?workername=nobody@nowhere")).Status);
    }

    [Fact]
    public async Task Tasks_from_both_workers_are_listed_filtered_sorted_and_searched()
    {
        var py = await cluster.Client.SendTaskAsync("interop.add", [40, 2], options: new ApplyOptions { Queue = "py" });
        var ours = await cluster.Client.SendTaskAsync("dash.echo", ["needle-in-args-7731"]);
        var failed = await cluster.Client.SendTaskAsync("interop.fail", ["api-boom"], options: new ApplyOptions { Queue = "py" });
        var info = await FinishedAsync(py.Id);
        await FinishedAsync(ours.Id);
        var fail = await FinishedAsync(failed.Id, "FAILURE");

        Assert.Equal("interop.add", info["name"]!.ToString());
        Assert.Equal("(40, 2)", info["args"]!.ToString());
        Assert.Equal("42", info["result"]!.ToString());
        Assert.Equal(Cluster.PythonWorker, info["worker"]!.ToString());
        Assert.Equal(py.Id, info["task-id"]!.ToString());
        foreach (var key in new[] { "received", "started", "succeeded", "runtime", "timestamp", "kwargs", "retries", "clock", "exception", "traceback", "eta", "expires" })
        {
            Assert.True(info.AsObject().ContainsKey(key), "task info lacks " + key);
        }

        Assert.Contains("ValueError", fail["exception"]!.ToString());
        Assert.Contains("api-boom", fail["traceback"]!.ToString());

        var byName = (JsonObject)await Http.JsonAsync("api/tasks?taskname=interop.add&limit=1000");
        Assert.True(byName.ContainsKey(py.Id));
        Assert.All(byName, p => Assert.Equal("interop.add", p.Value!["name"]!.ToString()));

        var byWorker = (JsonObject)await Http.JsonAsync("api/tasks?workername=" + Uri.EscapeDataString(Cluster.CeleriacWorker));
        Assert.True(byWorker.ContainsKey(ours.Id));
        Assert.False(byWorker.ContainsKey(py.Id));

        var byState = (JsonObject)await Http.JsonAsync("api/tasks?state=FAILURE");
        Assert.True(byState.ContainsKey(failed.Id));
        Assert.All(byState, p => Assert.Equal("FAILURE", p.Value!["state"]!.ToString()));

        var searched = (JsonObject)await Http.JsonAsync("api/tasks?search=needle-in-args-7731");
        Assert.Equal([ours.Id], searched.Select(p => p.Key));
        Assert.Equal([failed.Id], ((JsonObject)await Http.JsonAsync("api/tasks?search=" + Uri.EscapeDataString("exception:api-boom"))).Select(p => p.Key));
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("api/tasks?search=" + Uri.EscapeDataString("colour:blue"))).Status);

        var limited = (JsonObject)await Http.JsonAsync("api/tasks?limit=2");
        Assert.Equal(2, limited.Count);
        var offset = (JsonObject)await Http.JsonAsync("api/tasks?limit=1&offset=1");
        Assert.Equal(limited.ElementAt(1).Key, offset.Single().Key);
        var sorted = ((JsonObject)await Http.JsonAsync("api/tasks?sort_by=name")).Select(p => p.Value!["name"]?.ToString() ?? string.Empty).ToList();
        Assert.Equal(sorted.Order(StringComparer.Ordinal), sorted);

        var now = DateTimeOffset.UtcNow;
        var window = (JsonObject)await Http.JsonAsync($"api/tasks?received_start={Uri.EscapeDataString(now.AddMinutes(-10).ToString("yyyy-MM-dd HH:mm"))}&received_end={Uri.EscapeDataString(now.AddMinutes(2).ToString("yyyy-MM-dd HH:mm"))}");
        Assert.True(window.ContainsKey(py.Id));
        Assert.Empty((JsonObject)await Http.JsonAsync($"api/tasks?received_end={Uri.EscapeDataString(now.AddHours(-1).ToString("yyyy-MM-dd HH:mm"))}"));

        var types = await Http.JsonAsync("api/task/types");
        Assert.Contains("interop.add", types["task-types"]!.AsArray().Select(t => t!.ToString()));
        Assert.Contains("dash.echo", types["task-types"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("api/task/info/no-such-task")).Status);
    }

    [Fact]
    public async Task Apply_async_apply_send_task_and_result_send_and_read_tasks()
    {
        await BothWorkersKnownAsync();
        var (status, applied, text) = await Http.PostAsync("api/task/apply/dash.add", new JsonObject { ["args"] = new JsonArray(20, 22) });
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("SUCCESS", applied!["state"]!.ToString());
        Assert.Equal(42, applied["result"]!.GetValue<int>());

        (status, var asyncApplied, text) = await Http.PostAsync("api/task/async-apply/interop.mul", new JsonObject { ["args"] = new JsonArray(6, 7), ["queue"] = "py" });
        Assert.True(status == HttpStatusCode.OK, text);
        var id = asyncApplied!["task-id"]!.ToString();
        Assert.NotNull(asyncApplied["state"]);
        var result = await Http.JsonAsync($"api/task/result/{id}?timeout=60");
        Assert.Equal("SUCCESS", result["state"]!.ToString());
        Assert.Equal(42, result["result"]!.GetValue<int>());

        (status, var sent, text) = await Http.PostAsync("api/task/send-task/interop.fail", new JsonObject { ["args"] = new JsonArray("sent-boom"), ["queue"] = "py" });
        Assert.True(status == HttpStatusCode.OK, text);
        var failure = await Http.JsonAsync($"api/task/result/{sent!["task-id"]}?timeout=60");
        Assert.Equal("FAILURE", failure["state"]!.ToString());
        Assert.Equal("ValueError('sent-boom')", failure["result"]!.ToString());
        Assert.Contains("sent-boom", failure["traceback"]!.ToString());

        var pending = await Http.JsonAsync("api/task/result/" + Guid.NewGuid());
        Assert.Equal("PENDING", pending["state"]!.ToString());
        Assert.Null(pending["result"]);

        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("api/task/async-apply/no.such.task", new JsonObject())).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("api/task/async-apply/dash.add", new JsonObject { ["args"] = "not-a-list" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("api/task/async-apply/dash.add", new JsonObject { ["countdown"] = "soon" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("api/task/async-apply/dash.add", JsonValue.Create("[1, 2]"))).Status);

        // The dashboard remembers what it sent, before any event about it.
        Assert.Equal("interop.mul", (await Http.JsonAsync("api/task/info/" + id))["name"]!.ToString());
    }

    [Fact]
    public async Task Revoke_terminate_abort_and_retry_act_on_tasks()
    {
        var running = await cluster.Client.SendTaskAsync("dash.sleep", [120.0]);
        await FinishedAsync(running.Id, "STARTED");
        var (status, revoked, text) = await Http.PostAsync($"api/task/revoke/{running.Id}?terminate=true&signal=SIGTERM");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal($"Revoked '{running.Id}'", revoked!["message"]!.ToString());
        await FinishedAsync(running.Id, "REVOKED");

        var failed = await cluster.Client.SendTaskAsync("interop.fail", ["retry-me"], options: new ApplyOptions { Queue = "py" });
        await FinishedAsync(failed.Id, "FAILURE");
        (status, var retried, text) = await Http.PostAsync($"api/task/retry/{failed.Id}");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("task events", retried!["source"]!.ToString());
        Assert.Equal("py", retried["queue"]!.ToString());
        var rerun = await FinishedAsync(retried["task-id"]!.ToString(), "FAILURE");
        Assert.Equal("('retry-me',)", rerun["args"]!.ToString());
        Assert.Equal(Cluster.PythonWorker, rerun["worker"]!.ToString());

        var ours = await cluster.Client.SendTaskAsync("dash.fail", ["exact-args"]);
        await FinishedAsync(ours.Id, "FAILURE");
        (status, retried, text) = await Http.PostAsync($"api/task/retry/{ours.Id}");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("result backend", retried!["source"]!.ToString());
        await FinishedAsync(retried["task-id"]!.ToString(), "FAILURE");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("api/task/retry/no-such-task")).Status);

        (status, var aborted, _) = await Http.PostAsync($"api/task/abort/{ours.Id}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"Aborted '{ours.Id}'", aborted!["message"]!.ToString());
        Assert.Equal("ABORTED", (await cluster.Client.Backend.GetAsync(ours.Id))!.Status);
    }

    [Fact]
    public async Task Pool_rate_limit_and_time_limit_reach_the_workers()
    {
        await BothWorkersKnownAsync();
        var name = Uri.EscapeDataString(Cluster.CeleriacWorker);
        var before = cluster.Worker.Concurrency;
        var (status, json, text) = await Http.PostAsync($"api/worker/pool/grow/{name}?n=2");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(before + 2, cluster.Worker.Concurrency);
        (status, _, text) = await Http.PostAsync($"api/worker/pool/shrink/{name}?n=2");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(before, cluster.Worker.Concurrency);

        (status, json, text) = await Http.PostAsync($"api/task/rate-limit/dash.echo?workername={name}&ratelimit=100/m");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Contains("rate limit", json!["message"]!.ToString(), StringComparison.OrdinalIgnoreCase);
        (status, _, text) = await Http.PostAsync($"api/task/rate-limit/dash.echo?workername={name}&ratelimit=0");
        Assert.True(status == HttpStatusCode.OK, text);

        (status, json, text) = await Http.PostAsync($"api/task/timeout/interop.sleep?workername={Uri.EscapeDataString(Cluster.PythonWorker)}&soft=30&hard=60");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Contains("time limits", json!["message"]!.ToString(), StringComparison.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("api/worker/pool/grow/nobody@nowhere")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync($"api/worker/pool/grow/{name}?n=lots")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync($"api/worker/pool/autoscale/{name}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync("api/task/rate-limit/dash.echo")).Status);
    }

    [Theory]
    [InlineData(Cluster.PythonWorker, "interop.add")]
    [InlineData(Cluster.CeleriacWorker, "dash.add")]
    public async Task Add_and_cancel_consumer_change_a_workers_queues(string worker, string task)
    {
        await BothWorkersKnownAsync();
        var name = Uri.EscapeDataString(worker);
        var (status, json, text) = await Http.PostAsync($"api/worker/queue/add-consumer/{name}?queue=api-extra");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Contains("api-extra", json!["message"]!.ToString());
        var queues = await Poll.UntilAsync(
            async () => (await WorkersAsync(refresh: true))[worker]!["active_queues"]!.AsArray().Select(q => q!["name"]!.ToString()).ToList(),
            q => q.Contains("api-extra"),
            worker + " consuming api-extra");
        Assert.Contains(worker == Cluster.PythonWorker ? "py" : "celery", queues);

        // A task sent to the new queue runs on it.
        var t = await cluster.Client.SendTaskAsync(task, [1, 1], options: new ApplyOptions { Queue = "api-extra" });
        Assert.Equal(2, await t.GetAsync<int>(Cluster.Wait));

        (status, json, text) = await Http.PostAsync($"api/worker/queue/cancel-consumer/{name}?queue=api-extra");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Contains("api-extra", json!["message"]!.ToString());
        await Poll.UntilAsync(
            async () => (await WorkersAsync(refresh: true))[worker]!["active_queues"]!.AsArray().Select(q => q!["name"]!.ToString()).ToList(),
            q => !q.Contains("api-extra"),
            worker + " no longer consuming api-extra");
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.PostAsync($"api/worker/queue/add-consumer/{name}")).Status);
    }

    [Fact]
    public async Task Queue_lengths_count_waiting_messages()
    {
        // Nobody consumes "parked": its messages wait there.
        var options = new ApplyOptions { Queue = "parked" };
        for (var i = 0; i < 3; i++)
        {
            await cluster.Client.SendTaskAsync("dash.add", [i, i], options: options);
        }

        using var dashboard = new Http(cluster.Dashboard.Url);
        await using var server = await cluster.StartAsync(cluster.Options(Path.Combine(Path.GetTempPath(), $"q-{Guid.NewGuid():N}.db")) with { Queues = ["parked"] });
        using var http = new Http(server.Url);
        // A fresh dashboard learns the workers' queues from their first heartbeat or inspect reply, not at once.
        var lengths = await Poll.UntilAsync(
            async () => (await http.JsonAsync("api/queues/length"))["active_queues"]!.AsArray(),
            l => l.Any(q => q!["name"]!.ToString() == "py") && l.Any(q => q!["name"]!.ToString() == "parked"),
            "the new dashboard to list the Python worker's queue");
        Assert.Equal(3, lengths.Single(q => q!["name"]!.ToString() == "parked")!["messages"]!.GetValue<long>());
        Assert.Contains(lengths, q => q!["name"]!.ToString() == "celery");
        Assert.Contains(lengths, q => q!["name"]!.ToString() == "py");
        await cluster.Client.Transport.PurgeAsync("parked");
    }

    [Fact]
    public async Task Metrics_speak_prometheus_with_flowers_names_and_ours()
    {
        var t = await cluster.Client.SendTaskAsync("dash.add", [1, 2]);
        await FinishedAsync(t.Id);
        var (status, _, text) = await Http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("# TYPE flower_events_total counter", text);
        Assert.Contains($"flower_events_total{{worker=\"{Cluster.CeleriacWorker}\",type=\"task-succeeded\",task=\"dash.add\"}}", text);
        Assert.Contains("# TYPE flower_task_runtime_seconds histogram", text);
        Assert.Contains($"flower_task_runtime_seconds_bucket{{worker=\"{Cluster.CeleriacWorker}\",task=\"dash.add\",le=\"+Inf\"}}", text);
        Assert.Contains($"flower_worker_online{{worker=\"{Cluster.PythonWorker}\"}} 1", text);
        Assert.Contains("flower_worker_number_of_currently_executing_tasks{worker=", text);
        Assert.Matches("celeriac_tasks\\{name=\"dash.add\",state=\"SUCCESS\"\\} [1-9]", text);
        Assert.Matches("celeriac_workers_online [2-9]", text);
        Assert.Contains("celeriac_queue_length{queue=\"celery\"}", text);
        Assert.Contains("celeriac_dashboard_history_tasks ", text);
        var (hs, _, ok) = await Http.GetAsync("healthcheck");
        Assert.Equal(HttpStatusCode.OK, hs);
        Assert.Equal("OK", ok);
    }
}
