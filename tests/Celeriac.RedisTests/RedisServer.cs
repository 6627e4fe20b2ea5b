using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Celeriac.RedisTests;

/// <summary>
/// A private <c>redis-server</c> per test class: loopback only, a free port, no persistence (AOF in
/// <see cref="AofRedisServer"/>), killed by PID at the end.
/// A missing binary fails the tests (scripts/test installs it); it never skips them silently.
/// </summary>
public class RedisServer : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-redis-").FullName;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    public int Port { get; private set; }

    /// <summary>The server process's id (it changes with each restart).</summary>
    public int Pid => _process?.Id ?? 0;

    /// <summary>Whether the server keeps an append-only file (<c>appendfsync always</c>), so a restart keeps every acknowledged write.</summary>
    protected virtual bool AppendOnly => false;

    /// <summary>The URL of database <paramref name="db"/>.</summary>
    public string Url(int db = 0) => $"redis://127.0.0.1:{Port}/{db}";

    /// <summary>A connection that may run admin commands (FLUSHALL, MONITOR is not used).</summary>
    public ConnectionMultiplexer Admin => _admin ?? throw new InvalidOperationException("the server is not started");

    public IDatabase Db(int db = 0) => Admin.GetDatabase(db);

    public static string FindBinary()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("REDIS_SERVER"), "/usr/bin/redis-server", "/usr/local/bin/redis-server" };
        var found = candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
        if (found is not null)
        {
            return found;
        }

        var ci = Environment.GetEnvironmentVariable("CI");
        throw new InvalidOperationException(
            "redis-server was not found (looked at $REDIS_SERVER, /usr/bin, /usr/local/bin); install the Debian package redis-server " +
            "(scripts/test does)" + (string.IsNullOrEmpty(ci) ? string.Empty : "; CI is set, so this fails the run"));
    }

    public Task InitializeAsync() => StartAsync(fixedPort: null);

    /// <summary>Kills the server by PID (SIGKILL: data gone, unless <see cref="AppendOnly"/>) and starts it again on the same port: a broker outage.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        Kill();
        await Task.Delay(down);
        await StartAsync(Port);
    }

    private async Task StartAsync(int? fixedPort)
    {
        var binary = FindBinary();
        for (var attempt = 0; ; attempt++)
        {
            Port = fixedPort ?? FreePort();
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = _dir,
            };
            var persistence = AppendOnly ? new[] { "--appendonly", "yes", "--appendfsync", "always" } : ["--appendonly", "no"];
            foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", string.Empty, "--dir", _dir }.Concat(persistence))
            {
                start.ArgumentList.Add(arg);
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start redis-server");
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitForPortAsync(TimeSpan.FromSeconds(10)) && await IsOursAsync())
            {
                break;
            }

            Kill();
            if (attempt == 2)
            {
                throw new InvalidOperationException($"redis-server did not listen on 127.0.0.1:{Port}");
            }
        }

        _admin ??= await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true");
    }

    /// <summary>
    /// Empties every database: each test starts on an empty server (tests of a class run one at a time). Asynchronous:
    /// a test-class constructor that blocks on it holds a thread-pool thread, and StackExchange.Redis needs one to read
    /// the reply. Fails with the server's log when the server is gone.
    /// </summary>
    public async Task FlushAllAsync()
    {
        if (_process is not { HasExited: false })
        {
            throw new InvalidOperationException($"redis-server on port {Port} is not running (exit code {(_process?.HasExited == true ? _process.ExitCode : null)}); its log:\n{Log}");
        }

        await Admin.GetServer("127.0.0.1", Port).FlushAllDatabasesAsync();
    }

    /// <summary>What the server printed (its log goes to stdout).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Kill()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>
    /// Whether the server answering on <see cref="Port"/> is the process we started. The free port is only free when it
    /// is picked: another redis-server (another test class, another run on this machine) may have taken it first, and
    /// ours then exits on "Address already in use" while theirs answers our PING.
    /// </summary>
    private async Task<bool> IsOursAsync()
    {
        try
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true");
            var info = await probe.GetServer("127.0.0.1", Port).InfoAsync("server");
            var pid = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "process_id").Value;
            return pid == _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (RedisConnectionException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task<bool> WaitForPortAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process!.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                var n = await stream.ReadAsync(buffer);
                if (n > 0 && buffer[0] == (byte)'+')
                {
                    return true;
                }
            }
            catch (SocketException)
            {
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A <see cref="RedisServer"/> with AOF on (<c>appendfsync always</c>): what was acknowledged survives a SIGKILL.</summary>
public sealed class AofRedisServer : RedisServer
{
    protected override bool AppendOnly => true;
}
