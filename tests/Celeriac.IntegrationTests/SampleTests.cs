namespace Celeriac.IntegrationTests;

/// <summary>The README's commands, run as a new user runs them: real processes, the embedded SQLite broker.</summary>
public sealed class SampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-sample-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Quickstart_prints_the_task_id_its_state_and_result_9_with_no_server()
    {
        var run = await SampleProcess.RunAsync("Quickstart", _dir, new Dictionary<string, string>());
        Assert.True(run.Exit == 0, run.Out + run.Err);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches("^Task id: [0-9a-f-]{36}$", lines[0]);
        Assert.Matches("^State: +(PENDING|SUCCESS)$", lines[1]);
        Assert.Equal("State:   SUCCESS", lines[2]);
        Assert.Equal("Result:  9", lines[3]);
        Assert.True(File.Exists(Path.Combine(_dir, "quickstart.db")));
    }

    [Fact]
    public async Task The_canvas_sample_runs_every_canvas_on_sqlite_with_no_server()
    {
        var run = await SampleProcess.RunAsync("Canvas", _dir, new Dictionary<string, string>());

        Assert.True(run.Exit == 0, run.Out + run.Err);
        Assert.Equal(
            [
                "chain (2 + 2) * 4        = 16",
                "group of squares         = [1, 4, 9, 16, 25], 5 completed",
                "chord sum of 1..100      = 5050",
                "chain with a chord       = 68",
                "map / chunks             = [1,4,9] / [[0,2,4,6],[8,10]]",
                "link: 20 + 1, then * 2   = 42",
                "errback got the failed id: True (InvalidOperationException)",
            ],
            run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Proj_worker_and_client_work_across_processes_on_sqlite()
    {
        var env = new Dictionary<string, string>();
        await using var worker = SampleProcess.Start("Proj", _dir, env, "worker", "-l", "info", "-n", "proj1@%h");
        Assert.True(await worker.WaitForOutputAsync("ready.", TimeSpan.FromSeconds(30)), worker.Err);

        // The banner goes to standard output just after the "ready" log line on standard error.
        Assert.True(await worker.WaitForOutputAsync(". proj.tasks.text.describe", TimeSpan.FromSeconds(30)), worker.Out);
        Assert.Contains(". proj.tasks.add", worker.Out, StringComparison.Ordinal);
        Assert.Contains(". proj.tasks.text.shout", worker.Out, StringComparison.Ordinal);

        var call = await SampleProcess.RunAsync("Proj", _dir, env, "call", "proj.tasks.add", "--args", "[4, 5]");
        Assert.True(call.Exit == 0, call.Err);
        var id = call.Out.Trim();
        var result = await SampleProcess.RunAsync("Proj", _dir, env, "result", id, "--timeout", "30");
        Assert.Equal((0, "9"), (result.Exit, result.Out.Trim()));

        var shout = await SampleProcess.RunAsync("Proj", _dir, env, "call", "proj.tasks.text.shout", "--kwargs", "{\"text\": \"hi\"}");
        var shouted = await SampleProcess.RunAsync("Proj", _dir, env, "result", shout.Out.Trim(), "--timeout", "30");
        Assert.Equal("\"HI!\"", shouted.Out.Trim());

        var status = await SampleProcess.RunAsync("Proj", _dir, env, "status", "-t", "3");
        Assert.True(status.Exit == 0, status.Err);
        Assert.Contains("proj1@", status.Out, StringComparison.Ordinal);

        Assert.Equal(0, await worker.StopAsync());
        Assert.Contains($"Task proj.tasks.add[{id}] succeeded in", worker.Err, StringComparison.Ordinal);
        Assert.Contains("Warm shutdown", worker.Err, StringComparison.Ordinal);
    }
}
