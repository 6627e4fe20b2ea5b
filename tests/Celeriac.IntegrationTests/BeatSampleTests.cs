using System.Text.Json.Nodes;

namespace Celeriac.IntegrationTests;

/// <summary>
/// The seed's schedule (every minute crontab + every 10 s interval, Asia/Shanghai) from samples/Proj's appsettings.json,
/// run as a user runs it: <c>beat -l info</c> next to a worker, on the embedded SQLite broker.
/// </summary>
public sealed class BeatSampleTests : IDisposable
{
    private static readonly TimeSpan UntilNextMinute = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-beat-sample-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Proj_beat_sends_the_seeds_schedule_and_a_worker_runs_it()
    {
        var env = new Dictionary<string, string>();
        await using var beat = SampleProcess.Start("Proj", _dir, env, "beat", "-l", "info");
        await using var worker = SampleProcess.Start("Proj", _dir, env, "worker", "-l", "info", "-c", "2");
        Assert.True(await beat.WaitForOutputAsync("beat: Starting...", TimeSpan.FromSeconds(30)), beat.Err);
        Assert.Contains(". db -> " + Path.Combine(_dir, "celerybeat-schedule.json"), beat.Out, StringComparison.Ordinal);

        Assert.True(await beat.WaitForOutputAsync("Scheduler: Sending due task add-every-10-seconds (proj.tasks.add)", TimeSpan.FromSeconds(40)), beat.Err);
        Assert.True(await beat.WaitForOutputAsync("Scheduler: Sending due task multiply-every-minute (proj.tasks.mul)", UntilNextMinute), beat.Err);
        Assert.True(await worker.WaitForOutputAsync("] succeeded in ", TimeSpan.FromSeconds(30)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync(": 32", TimeSpan.FromSeconds(30)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync(": 16", TimeSpan.FromSeconds(30)), worker.Err);

        Assert.Equal(0, await beat.StopAsync());
        Assert.Contains("beat: Shutting down...", beat.Err, StringComparison.Ordinal);
        Assert.Equal(0, await worker.StopAsync());

        var state = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "celerybeat-schedule.json")))!;
        Assert.Equal("Asia/Shanghai", state["timezone"]!.GetValue<string>());
        Assert.True(state["entries"]!["add-every-10-seconds"]!["total_run_count"]!.GetValue<long>() >= 1);
        Assert.EndsWith("+08:00", state["entries"]!["multiply-every-minute"]!["last_run_at"]!.GetValue<string>(), StringComparison.Ordinal);
        var minutely = state["entries"]!["multiply-every-minute"]!["last_run_at"]!.GetValue<string>();
        Assert.Contains(":00.", minutely, StringComparison.Ordinal);
    }
}
