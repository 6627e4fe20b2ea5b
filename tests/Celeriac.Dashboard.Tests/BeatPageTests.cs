using System.Text.Json.Nodes;
using Celeriac.Cli.Dashboard;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Celeriac.Dashboard.Tests;

/// <summary>The Beat page reads a schedule kept in Redis (celeriac:beat:entries) and shows entries and their next run.</summary>
[Collection(ClusterGroup.Name)]
public sealed class BeatPageTests(Cluster cluster)
{
    [Fact]
    public async Task The_beat_page_lists_entries_with_their_last_and_next_run()
    {
        var db = cluster.Redis.Db(2);
        var now = DateTimeOffset.UtcNow;
        await db.HashSetAsync("celeriac:beat:entries", [
            new("cleanup", new JsonObject { ["task"] = "proj.cleanup", ["schedule"] = "every 30 seconds", ["args"] = new JsonArray(), ["last_run_at"] = now.AddSeconds(-12).ToString("O"), ["next_run_at"] = now.AddSeconds(18).ToString("O"), ["total_run_count"] = 41, ["enabled"] = true }.ToJsonString()),
            new("nightly-report", new JsonObject { ["task"] = "proj.report", ["schedule"] = "crontab(0 3 * * *)", ["args"] = new JsonArray("daily"), ["kwargs"] = new JsonObject { ["email"] = true }, ["queue"] = "reports", ["next_run_at"] = now.AddHours(5).ToUnixTimeSeconds(), ["total_run_count"] = 0, ["enabled"] = false }.ToJsonString()),
        ]);
        await db.StringSetAsync("celeriac:beat:leader", "beat@host-a");

        await using var beat = new RedisBeatScheduleSource(cluster.Redis.Url(2));
        await using var server = await DashboardServer.StartAsync(cluster.NewApp(), cluster.Options(Path.Combine(Path.GetTempPath(), $"beat-{Guid.NewGuid():N}.db")), beat);
        using var http = new Http(server.Url);
        var json = await http.JsonAsync("api/ui/beat");
        Assert.True(json["configured"]!.GetValue<bool>());
        Assert.Equal("beat@host-a", json["leader"]!.ToString());
        var entries = json["entries"]!.AsArray();
        Assert.Equal(["cleanup", "nightly-report"], entries.Select(e => e!["name"]!.ToString()));
        Assert.Equal(41, entries[0]!["totalRunCount"]!.GetValue<long>());
        Assert.Equal("reports", entries[1]!["queue"]!.ToString());
        Assert.False(entries[1]!["enabled"]!.GetValue<bool>());
        Assert.InRange(entries[1]!["nextRunAt"]!.GetValue<double>(), now.AddHours(5).ToUnixTimeSeconds() - 1, now.AddHours(5).ToUnixTimeSeconds() + 1);
        Assert.DoesNotContain("password", json["source"]!.ToString());

        await using var context = await cluster.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 700 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.Url, "beat").ToString());
        await Expect(page.Locator("#beat-table tr[data-entry=cleanup]")).ToContainTextAsync("every 30 seconds");
        await Expect(page.Locator("#beat-table tr[data-entry=cleanup]")).ToContainTextAsync("in ");
        await Expect(page.Locator("#beat-table tr[data-entry=nightly-report]")).ToContainTextAsync("crontab(0 3 * * *)");
        await Expect(page.Locator("main .sub")).ToContainTextAsync("run by beat@host-a");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Cluster.ScreenshotDirectory, "beat.png"), FullPage = true });

        Assert.Throws<CeleriacConfigurationException>(() => new RedisBeatScheduleSource("http://not-redis"));
    }
}
