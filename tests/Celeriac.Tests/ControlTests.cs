using Celeriac.Worker;

namespace Celeriac.Tests;

public sealed class ControlTests
{
    [Fact]
    public async Task Ping_reaches_every_worker_and_destination_selects_one()
    {
        await using var app = TestApp.Create();
        await using var w1 = await app.StartWorkerAsync(app.Options.Worker with { Hostname = "w1@%h" });
        await using var w2 = await app.StartWorkerAsync(app.Options.Worker with { Hostname = "w2@%h" });

        var all = await app.Control.PingAsync(timeout: TimeSpan.FromSeconds(2));
        Assert.Equal(new[] { w1.Hostname, w2.Hostname }.Order(StringComparer.Ordinal), all);

        var one = await app.Control.PingAsync([w2.Hostname], TimeSpan.FromSeconds(2));
        Assert.Equal([w2.Hostname], one);

        var unknown = await app.Control.BroadcastAsync("nonexistent", destination: [w1.Hostname], timeout: TimeSpan.FromSeconds(2));
        Assert.Equal("KeyError('nonexistent')", unknown.Single()[w1.Hostname]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stopped_worker_no_longer_answers()
    {
        await using var app = TestApp.Create();
        var w1 = await app.StartWorkerAsync(app.Options.Worker with { Hostname = "gone@%h" });
        await w1.StopAsync();
        Assert.Empty(await app.Control.PingAsync(timeout: TimeSpan.FromMilliseconds(300)));
    }
}
