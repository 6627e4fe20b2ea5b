using Celeriac.Hosting;
using Celeriac.Schedules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Celeriac.Cli.Tests;

/// <summary>Beat as a hosted service in a .NET host: AddCeleriac + AddCeleriacBeat.</summary>
public sealed class BeatHostingTests
{
    [Fact]
    public async Task A_hosted_beat_leads_while_the_host_runs_and_gives_the_lease_back_when_it_stops()
    {
        var broker = "memory://hosted" + Guid.NewGuid().ToString("N");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Celeriac:broker_url"] = broker,
            ["Celeriac:beat_schedule:tick:task"] = "proj.add",
            ["Celeriac:beat_schedule:tick:schedule"] = "crontab(minute='0', hour='4')",
        });
        builder.Services.AddCeleriac().AddCeleriacBeat();
        using var host = builder.Build();
        var app = host.Services.GetRequiredService<CeleriacApp>();
        Assert.Equal("tick", Assert.Single(app.Beat.Entries).Name);

        await host.StartAsync();
        BeatLease? leader = null;
        for (var i = 0; i < 400 && leader is null; i++)
        {
            leader = await app.Beat.GetLeaderAsync();
            await Task.Delay(25);
        }

        Assert.NotNull(leader);
        var status = Assert.Single(await app.Beat.GetStatusAsync());
        Assert.Equal(new DateTimeOffset(status.LastRunAt!.Value.Date.AddDays(status.LastRunAt.Value.Hour >= 4 ? 1 : 0).AddHours(4), TimeSpan.Zero), status.NextRunAt);

        await host.StopAsync();
        Assert.Null(await app.Beat.GetLeaderAsync());
    }
}
