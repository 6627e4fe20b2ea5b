using Celeriac.Worker;

namespace Celeriac.Cli.Tests;

public sealed class CommandTests
{
    [Fact]
    public async Task Call_prints_an_id_and_result_prints_the_value_a_worker_computed()
    {
        var m = Cli.Memory(out _);
        var called = await Cli.RunAsync([.. m, "call", "tasks.add", "--args", "[4, 5]"]);
        Assert.Equal(0, called.Exit);
        var id = called.Out.Trim();
        Assert.True(Guid.TryParse(id, out _), called.Out + called.Err);

        using var stop = new CancellationTokenSource();
        var worker = Cli.RunAsync([.. m, "worker", "-c", "2"], Cli.RegisterTasks, stop.Token);
        var result = await Cli.RunAsync([.. m, "result", id, "--timeout", "20"]);
        await stop.CancelAsync();
        var workerRun = await worker;

        Assert.Equal((0, "9"), (result.Exit, result.Out.Trim()));
        Assert.Equal(0, workerRun.Exit);
        Assert.Contains("[tasks]", workerRun.Out, StringComparison.Ordinal);
        Assert.Contains(". tasks.add", workerRun.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Result_of_a_failed_task_exits_1_and_says_why()
    {
        var m = Cli.Memory(out _);
        using var stop = new CancellationTokenSource();
        var worker = Cli.RunAsync([.. m, "worker"], Cli.RegisterTasks, stop.Token);
        var id = (await Cli.RunAsync([.. m, "call", "tasks.fail", "--kwargs", "{\"m\": \"boom\"}"])).Out.Trim();
        var result = await Cli.RunAsync([.. m, "result", id, "--timeout", "20", "--traceback"]);
        await stop.CancelAsync();
        await worker;

        Assert.Equal(1, result.Exit);
        Assert.StartsWith("FAILURE: ValueError('boom')", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Result_of_a_task_nobody_runs_times_out_with_its_state()
    {
        var m = Cli.Memory(out _);
        var id = (await Cli.RunAsync([.. m, "call", "tasks.add", "--args", "[1, 2]"])).Out.Trim();
        var result = await Cli.RunAsync([.. m, "result", id, "--timeout", "0.2"]);
        Assert.Equal(1, result.Exit);
        Assert.StartsWith($"PENDING: task {id} is not ready", result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--args", "[4, 5", "--args is not valid JSON")]
    [InlineData("--args", "{\"x\": 1}", "--args must be a JSON array")]
    [InlineData("--kwargs", "[1]", "--kwargs must be a JSON object")]
    public async Task Call_with_bad_arguments_exits_64_and_names_the_option(string option, string value, string message)
    {
        var m = Cli.Memory(out _);
        var called = await Cli.RunAsync([.. m, "call", "tasks.add", option, value]);
        Assert.Equal(ExitCodes.Usage, called.Exit);
        Assert.Contains(message, called.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_broker_url_exits_64_and_names_the_setting()
    {
        var bad = await Cli.RunAsync(["-b", "nosuch://host", "call", "tasks.add"]);
        Assert.Equal(ExitCodes.Usage, bad.Exit);
        Assert.StartsWith("Error: broker_url: no transport for scheme 'nosuch'", bad.Err, StringComparison.Ordinal);

        var notUrl = await Cli.RunAsync(["-b", "localhost", "call", "tasks.add"]);
        Assert.Equal(ExitCodes.Usage, notUrl.Exit);
        Assert.Contains("broker_url: 'localhost' is not a URL", notUrl.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_lists_online_workers_and_fails_when_none_answers()
    {
        var m = Cli.Memory(out _);
        var none = await Cli.RunAsync([.. m, "status", "-t", "0.3"]);
        Assert.Equal(ExitCodes.Unavailable, none.Exit);
        Assert.Contains("No nodes replied within time constraint", none.Err, StringComparison.Ordinal);

        using var stop = new CancellationTokenSource();
        var worker = Cli.RunAsync([.. m, "worker", "-n", "w1@%h"], Cli.RegisterTasks, stop.Token);
        (int Exit, string Out, string Err) status = (-1, string.Empty, string.Empty);
        for (var i = 0; i < 50 && status.Exit != 0; i++)
        {
            status = await Cli.RunAsync([.. m, "status", "-t", "1"]);
        }

        await stop.CancelAsync();
        await worker;
        Assert.Equal(0, status.Exit);
        Assert.Contains($"->  {NodeNames.Resolve("w1@%h", CeleriacApp.HostName)}: OK", status.Out, StringComparison.Ordinal);
        Assert.Contains("1 node online.", status.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_removes_waiting_messages_and_needs_force_without_a_terminal()
    {
        var m = Cli.Memory(out _);
        for (var i = 0; i < 3; i++)
        {
            await Cli.RunAsync([.. m, "call", "tasks.add", "--args", "[1, 1]"]);
        }

        var refused = await Cli.RunAsync([.. m, "purge"]);
        Assert.Equal(ExitCodes.Usage, refused.Exit);
        Assert.Contains("pass -f", refused.Err, StringComparison.Ordinal);

        var purged = await Cli.RunAsync([.. m, "purge", "-f"]);
        Assert.Equal((0, "Purged 3 messages from 1 known task queue."), (purged.Exit, purged.Out.Trim()));
        var again = await Cli.RunAsync([.. m, "purge", "-f"]);
        Assert.Equal("No messages purged from 1 queue", again.Out.Trim());
    }
}
