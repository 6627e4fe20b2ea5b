using Celeriac.Worker;

namespace Celeriac.Cli.Tests;

public sealed class InspectControlTests
{
    [Fact]
    public async Task Inspect_and_control_print_replies_as_celery_does()
    {
        var m = Cli.Memory(out _);
        using var stop = new CancellationTokenSource();
        var worker = Cli.RunAsync([.. m, "worker", "-n", "w1@%h", "-c", "2"], Cli.RegisterTasks, stop.Token);
        var node = NodeNames.Resolve("w1@%h", CeleriacApp.HostName);

        (int Exit, string Out, string Err) ping = (-1, string.Empty, string.Empty);
        for (var i = 0; i < 50 && ping.Exit != 0; i++)
        {
            ping = await Cli.RunAsync([.. m, "inspect", "ping", "-d", node]);
        }

        // -d: each call returns as soon as the node replies; -t 20 only keeps a loaded machine from missing the reply.
        var registered = await Cli.RunAsync([.. m, "inspect", "registered", "-d", node, "-t", "20"]);
        var stats = await Cli.RunAsync([.. m, "inspect", "stats", "-d", node, "-t", "20"]);
        var revoke = await Cli.RunAsync([.. m, "control", "revoke", "0a1b", "-d", node, "-t", "20"]);
        var grow = await Cli.RunAsync([.. m, "control", "pool_grow", "2", "-d", node, "-t", "20"]);
        var bad = await Cli.RunAsync([.. m, "control", "pool_grow", "many", "-d", node, "-t", "20"]);
        await stop.CancelAsync();
        await worker;

        Assert.Equal($"->  {node}: OK\n        pong\n\n1 node online.\n", ping.Out.Replace("\r", string.Empty, StringComparison.Ordinal));
        Assert.Equal($"->  {node}: OK\n    * tasks.add\n    * tasks.fail\n\n1 node online.\n", registered.Out.Replace("\r", string.Empty, StringComparison.Ordinal));
        Assert.Contains("        \"max-concurrency\": 2,", stats.Out, StringComparison.Ordinal);
        Assert.Contains("        \"prefetch_count\": 8,", stats.Out, StringComparison.Ordinal);
        Assert.Equal($"->  {node}: OK\n        tasks 0a1b flagged as revoked\n", revoke.Out.Replace("\r", string.Empty, StringComparison.Ordinal));
        Assert.Contains("pool will grow", grow.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, bad.Exit);
    }

    [Fact]
    public async Task Inspect_with_no_worker_exits_69()
    {
        var m = Cli.Memory(out _);
        var run = await Cli.RunAsync([.. m, "inspect", "active", "-t", "0.2"]);
        Assert.Equal(ExitCodes.Unavailable, run.Exit);
        Assert.Contains("No nodes replied", run.Err, StringComparison.Ordinal);
    }
}
