namespace Celeriac.IntegrationTests;

/// <summary>The same schedule with <c>worker -B</c>: beat embedded in the worker's process.</summary>
public sealed class EmbeddedBeatSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-beat-embedded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Proj_worker_dash_B_sends_and_runs_the_seeds_schedule()
    {
        await using var worker = SampleProcess.Start("Proj", _dir, new Dictionary<string, string>(), "worker", "-B", "-l", "info", "-c", "2");
        Assert.True(await worker.WaitForOutputAsync("beat: Starting...", TimeSpan.FromSeconds(30)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync("Scheduler: Sending due task add-every-10-seconds (proj.tasks.add)", TimeSpan.FromSeconds(40)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync(": 32", TimeSpan.FromSeconds(30)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync("Scheduler: Sending due task multiply-every-minute (proj.tasks.mul)", TimeSpan.FromSeconds(90)), worker.Err);
        Assert.True(await worker.WaitForOutputAsync(": 16", TimeSpan.FromSeconds(30)), worker.Err);

        Assert.Equal(0, await worker.StopAsync());
        Assert.Contains("Warm shutdown", worker.Err, StringComparison.Ordinal);
        Assert.Contains("beat: Shutting down...", worker.Err, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "celerybeat-schedule.json")));
    }
}
