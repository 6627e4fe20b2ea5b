using System.Net;
using Celeriac.Client;

namespace Celeriac.Dashboard.Tests;

/// <summary>The history survives a restart of the dashboard, and is pruned by age and count.</summary>
[Collection(ClusterGroup.Name)]
public sealed class HistoryTests(Cluster cluster)
{
    [Fact]
    public async Task The_dashboard_restarts_and_still_shows_the_history()
    {
        var ok = await cluster.Client.SendTaskAsync("dash.add", [5, 6]);
        var py = await cluster.Client.SendTaskAsync("interop.fail", ["kept-across-restart"], options: new ApplyOptions { Queue = "py" });
        using (var http = new Http(cluster.Dashboard.Url))
        {
            await Poll.UntilAsync(async () => (await http.GetAsync("api/task/info/" + py.Id)).Json?["state"]?.ToString(), s => s == "FAILURE", "the failure recorded");
            await Poll.UntilAsync(async () => (await http.GetAsync("api/task/info/" + ok.Id)).Json?["state"]?.ToString(), s => s == "SUCCESS", "the success recorded");
        }

        await cluster.RestartDashboardAsync();
        using var after = new Http(cluster.Dashboard.Url);
        var info = await after.JsonAsync("api/task/info/" + py.Id);
        Assert.Equal("FAILURE", info["state"]!.ToString());
        Assert.Contains("kept-across-restart", info["traceback"]!.ToString());
        var detail = await after.JsonAsync("api/ui/task/" + ok.Id);
        Assert.Equal("SUCCESS", detail["state"]!.ToString());
        Assert.Equal(["task-received", "task-started", "task-succeeded"], detail["timeline"]!.AsArray().Select(e => e!["type"]!.ToString()).Where(t => t != "task-sent"));
        var page = await after.JsonAsync("api/ui/tasks?q=kept-across-restart");
        Assert.Equal(1, page["total"]!.GetValue<long>());

        // Workers seen before the restart are listed at once, before their next heartbeat.
        var workers = (await after.JsonAsync("api/ui/workers")).AsArray().Select(w => w!["hostname"]!.ToString());
        Assert.Contains(Cluster.PythonWorker, workers);
    }

    [Fact]
    public async Task The_history_is_pruned_to_the_newest_tasks()
    {
        var path = Path.Combine(Path.GetTempPath(), $"prune-{Guid.NewGuid():N}.db");
        await using var server = await cluster.StartAsync(cluster.Options(path) with { MaxTasks = 3, PruneInterval = TimeSpan.FromMilliseconds(200) });
        using var http = new Http(server.Url);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var t = await cluster.Client.SendTaskAsync("dash.add", [i, 100]);
            await t.GetAsync<int>(Cluster.Wait);
            ids.Add(t.Id);
            await Poll.UntilAsync(async () => (await http.GetAsync("api/task/info/" + t.Id)).Json?["state"]?.ToString(), s => s == "SUCCESS", "recorded");
        }

        var total = await Poll.UntilAsync(async () => (await http.JsonAsync("api/ui/tasks"))["total"]!.GetValue<long>(), n => n <= 3, "pruned to 3");
        Assert.True(total <= 3);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/task/info/" + ids[^1])).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/task/info/" + ids[0])).Status);
        Assert.Empty((await http.JsonAsync("api/ui/task/" + ids[^1]))["children"]!.AsArray());
    }
}
