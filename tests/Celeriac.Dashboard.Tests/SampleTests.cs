using System.Net;
using System.Net.Sockets;
using Celeriac.RedisTests;

namespace Celeriac.Dashboard.Tests;

/// <summary>samples/AspNetCore as a user runs it: a web app with a worker and the dashboard inside, on the embedded broker.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task The_aspnetcore_sample_serves_the_dashboard_and_shows_the_tasks_it_sends()
    {
        var dll = Path.Combine(Cluster.RepositoryRoot, "samples", "AspNetCore", "bin", Configuration, "net10.0", "AspNetCore.dll");
        Assert.True(File.Exists(dll), dll + " is not built");
        var dir = Directory.CreateTempSubdirectory("celeriac-sample-").FullName;
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var sample = PythonProcess.StartProgram("dotnet", dir, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" }, dll, "--urls", $"http://127.0.0.1:{port}");
        using var http = new Http(new Uri($"http://127.0.0.1:{port}/dashboard/"));
        var workers = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    return (await http.GetAsync("api/workers?status=true")).Json?.AsObject().Count ?? 0;
                }
                catch (HttpRequestException)
                {
                    return 0;
                }
            },
            n => n > 0,
            "the sample's worker on its dashboard\n" + sample.Output);
        Assert.Equal(1, workers);

        using var app = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var sent = await app.PostAsync("add?x=4&y=5", null);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await sent.Content.ReadAsStringAsync())!["id"]!.ToString();
        var info = await Poll.UntilAsync(async () => (await http.GetAsync("api/task/info/" + id)).Json, j => j?["state"]?.ToString() == "SUCCESS", "the sample's task on its dashboard");
        Assert.Equal("9", info!["result"]!.ToString());
        var (status, _, html) = await http.GetAsync("tasks");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<base href=\"/dashboard/\">", html);
    }

    private static string Configuration => AppContext.BaseDirectory.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
}
