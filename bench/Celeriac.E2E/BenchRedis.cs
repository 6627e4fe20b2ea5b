using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Celeriac.E2E;

/// <summary>A private redis-server for one bench run: loopback, a free port, no persistence, killed by PID at the end.</summary>
internal sealed class BenchRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private BenchRedis(Process process, string dir, int port, ConnectionMultiplexer admin)
    {
        _process = process;
        _dir = dir;
        Port = port;
        Admin = admin;
    }

    public int Port { get; }

    public ConnectionMultiplexer Admin { get; }

    public string Url(int db) => string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{Port}/{db}");

    public static async Task<BenchRedis> StartAsync()
    {
        var binary = new[] { Environment.GetEnvironmentVariable("REDIS_SERVER"), "/usr/bin/redis-server", "/usr/local/bin/redis-server" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("redis-server not found: apt-get install redis-server (or set REDIS_SERVER)");
        var dir = Directory.CreateTempSubdirectory("celeriac-bench-redis-").FullName;
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", string.Empty, "--appendonly", "no", "--dir", dir })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var admin = await ConnectionMultiplexer.ConnectAsync(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port},allowAdmin=true,connectRetry=20"));
        return new BenchRedis(process, dir, port, admin);
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
