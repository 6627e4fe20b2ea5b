using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Schedules;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Celeriac.Dashboard.Tests;

/// <summary>
/// The Beat page on the store a real <c>celeriac beat</c> writes (the CLI's beat command, run in-process): the Redis
/// store on a Redis broker, the JSON file (<c>-s</c>) otherwise. The dashboard is another app with the same schedule,
/// as a dashboard process started with the beat's settings would be: it knows the entries, the store gives it their
/// runs and the leader.
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class BeatPageTests(Cluster cluster)
{
    private const string Every2s = "add-every-2s";
    private const string Nightly = "nightly-report";

    [Fact]
    public async Task The_beat_page_shows_a_running_beats_entries_runs_and_leader_from_the_redis_store()
    {
        var name = "beatpage" + Guid.NewGuid().ToString("N")[..8];
        var beatOut = new StringWriter();
        using var stopBeat = new CancellationTokenSource();
        var beat = CeleriacCli.RunAsync(
            ["beat", "-b", cluster.BrokerUrl, "--result-backend", cluster.BackendUrl, "--max-interval", "1"],
            o => o with { Name = name }, AddSchedule, TextWriter.Synchronized(beatOut), TextWriter.Synchronized(new StringWriter()), stopBeat.Token);
        try
        {
            var dashboardApp = cluster.NewApp(o => o with { Name = name });
            AddSchedule(dashboardApp);
            await using var server = await DashboardServer.StartAsync(dashboardApp, cluster.Options(Path.Combine(Path.GetTempPath(), $"beat-{Guid.NewGuid():N}.db")));
            using var http = new Http(server.Url);

            var json = await Poll.UntilAsync(() => http.JsonAsync("api/ui/beat"), j => Entry(j, Every2s)["totalRunCount"]!.GetValue<long>() >= 2, "two runs of the 2 s entry");

            Assert.True(json["configured"]!.GetValue<bool>());
            Assert.Contains($"keys celeriac.beat.{name}", json["source"]!.ToString(), StringComparison.Ordinal);
            Assert.StartsWith("beat.", json["leader"]!.ToString(), StringComparison.Ordinal);
            Assert.True(json["leaderCurrent"]!.GetValue<bool>());
            Assert.Equal([Every2s, Nightly], json["entries"]!.AsArray().Select(e => e!["name"]!.ToString()));
            AssertEntries(json);

            await using var context = await cluster.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 700 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(server.Url, "beat").ToString());
            await Expect(page.Locator($"#beat-table tr[data-entry={Every2s}]")).ToContainTextAsync("<freq: 2.00 seconds>");
            await Expect(page.Locator($"#beat-table tr[data-entry={Nightly}]")).ToContainTextAsync("<crontab: 0 3 * * * (m/h/d/dM/MY)>");
            await Expect(page.Locator($"#beat-table tr[data-entry={Nightly}]")).ToContainTextAsync("reports");
            await Expect(page.Locator("main .sub")).ToContainTextAsync("run by " + json["leader"]);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Cluster.ScreenshotDirectory, "beat.png"), FullPage = true });

            // Beat gives its lease up on the way out: the page sees no leader any more.
            await stopBeat.CancelAsync();
            Assert.Equal(0, await beat.WaitAsync(Cluster.Wait));
            await Poll.UntilAsync(() => http.JsonAsync("api/ui/beat"), j => j["leader"] is null, "the leader gone after beat stopped");
            await Expect(page.Locator("main .sub")).ToContainTextAsync("no beat leading", new() { Timeout = 30_000 });
        }
        finally
        {
            await stopBeat.CancelAsync();
            await beat.WaitAsync(Cluster.Wait);
        }
    }

    [Fact]
    public async Task The_dashboard_command_shows_the_entries_a_beat_records_in_its_schedule_file()
    {
        var dir = Directory.CreateTempSubdirectory("celeriac-beatfile-").FullName;
        var broker = "sqlite:///" + Path.Combine(dir, "broker.db");
        var file = Path.Combine(dir, "schedule.json");
        string[] common = ["-b", broker, "--result-backend", broker, "-s", file];
        using var stop = new CancellationTokenSource();
        var beat = CeleriacCli.RunAsync(["beat", .. common, "--max-interval", "1"], null, AddSchedule, TextWriter.Synchronized(new StringWriter()), TextWriter.Synchronized(new StringWriter()), stop.Token);
        var port = FreePort();
        var dashboardOut = new StringWriter();
        var dashboard = CeleriacCli.RunAsync(
            ["dashboard", .. common, "--port", port.ToString(CultureInfo.InvariantCulture), "--db", Path.Combine(dir, "history.db")],
            null, AddSchedule, TextWriter.Synchronized(dashboardOut), TextWriter.Synchronized(new StringWriter()), stop.Token);
        try
        {
            using var http = new Http(new Uri($"http://127.0.0.1:{port}/"));
            var json = await Poll.UntilAsync(() => BeatOrNullAsync(http), j => j is not null && Entry(j, Every2s)["totalRunCount"]!.GetValue<long>() >= 2, "two runs recorded in " + file);

            Assert.Equal(file, json!["source"]!.ToString());
            Assert.StartsWith("beat.", json["leader"]!.ToString(), StringComparison.Ordinal);
            Assert.False(json["leaderCurrent"]!.GetValue<bool>(), "a file store knows the last leader recorded, not whether it still runs");
            AssertEntries(json);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await beat.WaitAsync(Cluster.Wait));
            Assert.Equal(0, await dashboard.WaitAsync(Cluster.Wait));
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_beat_store_that_cannot_be_read_is_reported_on_the_page_not_failed()
    {
        await using var server = await DashboardServer.StartAsync(cluster.NewApp(), cluster.Options(Path.Combine(Path.GetTempPath(), $"beat-{Guid.NewGuid():N}.db")), new UnreadableStore());
        using var http = new Http(server.Url);

        var json = await http.JsonAsync("api/ui/beat");

        Assert.Equal(("redis://127.0.0.1:1/0", "cannot connect to redis://127.0.0.1:1/0: refused"), (json["source"]!.ToString(), json["error"]!.ToString()));
        Assert.Empty(json["entries"]!.AsArray());
        await using var context = await cluster.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.Url, "beat").ToString());
        await Expect(page.Locator("main .panel")).ToContainTextAsync("The beat store cannot be read");
        await Expect(page.Locator("main .panel")).ToContainTextAsync("refused");
    }

    /// <summary>The schedule both beat and the dashboard define, as the same beat_schedule would give them.</summary>
    private static void AddSchedule(CeleriacApp app)
    {
        app.Beat.Add(Every2s, Signature.Create("dash.add", 2, 2), TimeSpan.FromSeconds(2));
        app.Beat.Add(Nightly, Signature.Create("dash.echo", "daily").WithOptions(new ApplyOptions { Queue = "reports" }), Crontab.Parse("0 3 * * *"));
    }

    private static void AssertEntries(JsonNode json)
    {
        var every = Entry(json, Every2s);
        Assert.Equal(("dash.add", "<freq: 2.00 seconds>", "[2,2]"), (every["task"]!.ToString(), every["schedule"]!.ToString(), every["args"]!.ToJsonString()));
        var last = every["lastRunAt"]!.GetValue<double>();
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - last, -1, 60);
        Assert.Equal(2.0, every["nextRunAt"]!.GetValue<double>() - last, 3);

        var nightly = Entry(json, Nightly);
        Assert.Equal(("dash.echo", "<crontab: 0 3 * * * (m/h/d/dM/MY)>", "reports", 0L), (nightly["task"]!.ToString(), nightly["schedule"]!.ToString(), nightly["queue"]!.ToString(), nightly["totalRunCount"]!.GetValue<long>()));
        var next = DateTimeOffset.FromUnixTimeMilliseconds((long)(nightly["nextRunAt"]!.GetValue<double>() * 1000));
        Assert.Equal((3, 0, 0), (next.UtcDateTime.Hour, next.UtcDateTime.Minute, next.UtcDateTime.Second));
        Assert.InRange(next - DateTimeOffset.FromUnixTimeMilliseconds((long)(nightly["lastRunAt"]!.GetValue<double>() * 1000)), TimeSpan.Zero, TimeSpan.FromDays(1));
    }

    private static JsonNode Entry(JsonNode json, string name) =>
        json["entries"]!.AsArray().Single(e => e!["name"]!.ToString() == name)!;

    private static async Task<JsonNode?> BeatOrNullAsync(Http http)
    {
        try
        {
            var (status, json, _) = await http.GetAsync("api/ui/beat");
            return status == HttpStatusCode.OK ? json : null;
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class UnreadableStore : Celeriac.Dashboard.Beat.IBeatScheduleSource
    {
        public string Description => "redis://127.0.0.1:1/0";

        public Task<Celeriac.Dashboard.Beat.BeatScheduleSnapshot> ReadAsync(CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("cannot connect to redis://127.0.0.1:1/0: refused");
    }
}
