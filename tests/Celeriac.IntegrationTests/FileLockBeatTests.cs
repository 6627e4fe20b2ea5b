namespace Celeriac.IntegrationTests;

/// <summary>
/// Two <c>beat</c> processes of samples/Proj on its SQLite broker share one schedule file: the OS lock on
/// <c>celerybeat-schedule.json.lock</c> lets one send; when it is killed the other takes over.
/// </summary>
public sealed class FileLockBeatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-beat-filelock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Two_beats_on_one_schedule_file_send_from_one_and_the_other_takes_over_when_it_is_killed()
    {
        var env = new Dictionary<string, string>
        {
            ["CELERIAC_BEAT_SCHEDULE__ADD-EVERY-10-SECONDS__SCHEDULE"] = "1",
            ["CELERIAC_BEAT_LEADER_LEASE"] = "3",
        };
        var a = SampleProcess.Start("Proj", _dir, env, "beat", "-l", "info");
        await using var disposeA = a;
        Assert.True(await a.WaitForOutputAsync("beat: Acquired the schedule as leader", TimeSpan.FromSeconds(60)), a.Err);
        await using var b = SampleProcess.Start("Proj", _dir, env, "beat", "-l", "info");
        Assert.True(await b.WaitForOutputAsync("beat: Standing by", TimeSpan.FromSeconds(60)), b.Err);
        Assert.True(await a.WaitForOutputAsync("Sending due task add-every-10-seconds", TimeSpan.FromSeconds(30)), a.Err);
        Assert.DoesNotContain("Sending due task", b.Err, StringComparison.Ordinal);

        a.Kill(); // SIGKILL: the OS drops the file lock
        Assert.True(await b.WaitForOutputAsync("beat: Acquired the schedule as leader", TimeSpan.FromSeconds(30)), b.Err);
        Assert.Contains("fencing token 2", b.Err, StringComparison.Ordinal);
        Assert.True(await b.WaitForOutputAsync("Sending due task add-every-10-seconds", TimeSpan.FromSeconds(30)), b.Err);
        Assert.Equal(0, await b.StopAsync());
    }
}
