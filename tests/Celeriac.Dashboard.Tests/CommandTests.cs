using System.Diagnostics;
using System.Net;
using Celeriac.Cli;
using Celeriac.Cli.Commands;

namespace Celeriac.Dashboard.Tests;

/// <summary><c>celeriac dashboard</c> / <c>flower</c> as a user runs it: flags, refusal to serve open on a public address.</summary>
[Collection(ClusterGroup.Name)]
public sealed class CommandTests(Cluster cluster)
{
    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Flower_alias_serves_the_dashboard_on_the_given_port_until_stopped()
    {
        var port = FreePort();
        var db = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.db");
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = CeleriacCli.RunAsync(
            ["flower", "-b", cluster.BrokerUrl, "--result-backend", cluster.BackendUrl, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", db, "--basic-auth", "ops:pw1,second:pw2", "--max-age", "2d"],
            null, null, output, error, stop.Token);
        using var http = new Http(new Uri($"http://127.0.0.1:{port}/"), Http.Basic("second", "pw2"));
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("api/workers")).Status == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException) when (sw.Elapsed < Cluster.Wait && !run.IsCompleted)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await new Http(new Uri($"http://127.0.0.1:{port}/")).GetAsync("api/workers")).Status);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(Cluster.Wait));
        Assert.Contains($"Celeriac dashboard on http://127.0.0.1:{port}/", output.ToString());
        Assert.Contains("2 account(s)", output.ToString());
        Assert.Contains("2 days", output.ToString());
    }

    [Theory]
    [InlineData("--address", "0.0.0.0", "--insecure")]
    [InlineData("--max-age", "soon", "--max-age")]
    [InlineData("--basic-auth", "nocolon", "user:password")]
    [InlineData("--auth-token", "short", "16 characters")]
    [InlineData("--port", "70000", "--port")]
    public async Task Bad_or_unsafe_flags_exit_64_naming_the_flag(string flag, string value, string expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] port = flag == "--port" ? [] : ["--port", "0"];
        var exit = await CeleriacCli.RunAsync(["dashboard", "-b", cluster.BrokerUrl, .. port, flag, value, "--db", Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.db")], null, null, output, error, CancellationToken.None);
        Assert.True(exit == 64, $"exit {exit}: {error}{output}");
        Assert.Contains(expected, error.ToString());
    }

    [Fact]
    public void Ages_read_as_days_hours_minutes_or_seconds()
    {
        Assert.Equal(TimeSpan.FromDays(7), DashboardCommand.ParseAge("7d"));
        Assert.Equal(TimeSpan.FromHours(12), DashboardCommand.ParseAge("12h"));
        Assert.Equal(TimeSpan.FromMinutes(30), DashboardCommand.ParseAge("30m"));
        Assert.Equal(TimeSpan.FromSeconds(3600), DashboardCommand.ParseAge("3600"));
        Assert.Equal(TimeSpan.FromDays(1.5), DashboardCommand.ParseAge("1.12:00:00"));
        Assert.Throws<CeleriacConfigurationException>(() => DashboardCommand.ParseAge("-1d"));
    }
}
