using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// A private RabbitMQ node (Debian's rabbitmq-server) on 127.0.0.1: its own node name, AMQP and distribution ports,
/// data directory and Erlang cookie, so that other test runs on the machine can run theirs at the same time (epmd on
/// 4369 is shared, which is fine). Run as root it runs as the rabbitmq user, as Debian's wrapper does. One node serves
/// the whole test run (<see cref="SharedAsync"/>); each test class or test takes a fresh vhost from it. A watchdog kills
/// the node by PID when the test process goes, however it goes. A missing server fails the tests (scripts/test installs
/// it); it never skips them silently.
/// </summary>
public sealed class RabbitMqNode : IAsyncDisposable
{
    private const string Bin = "/usr/lib/rabbitmq/bin";
    private const int VhostBatch = 16;
    private static readonly Lazy<Task<RabbitMqNode>> Shared = new(StartSharedAsync);
    private readonly string _dir;
    private readonly SemaphoreSlim _vhostGate = new(1, 1);
    private readonly Queue<string> _vhosts = new();
    private readonly bool _asRabbitmqUser = Environment.UserName == "root";
    private int _vhostCounter;
    private Process? _server;
    private Process? _watchdog;

    private RabbitMqNode(string dir, string name, int port, int distPort)
    {
        _dir = dir;
        NodeName = name;
        Port = port;
        DistPort = distPort;
    }

    public string NodeName { get; }

    public int Port { get; }

    public int DistPort { get; }

    /// <summary>The node's data directory (logs in log/).</summary>
    public string Directory => _dir;

    /// <summary>The node every test class of this run shares.</summary>
    public static Task<RabbitMqNode> SharedAsync() => Shared.Value;

    /// <summary>Starts a node of its own (for a test that restarts it).</summary>
    public static async Task<RabbitMqNode> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "rabbitmq-server")))
        {
            throw new InvalidOperationException(
                $"{Bin}/rabbitmq-server was not found; install the Debian package rabbitmq-server (scripts/test does)" +
                (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) ? string.Empty : "; CI is set, so this fails the run"));
        }

        var dir = System.IO.Directory.CreateTempSubdirectory("celeriac-rmq-").FullName;
        var name = $"celeriac-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}@localhost";
        var node = new RabbitMqNode(dir, name, FreePort(), FreePort());
        node.WriteConfig();
        await node.LaunchAsync();
        await node.CtlAsync("add_user", "noperm", "noperm");
        return node;
    }

    /// <summary>An <c>amqp://</c> URL of <paramref name="vhost"/> for guest (or another user).</summary>
    public string Url(string vhost, string user = "guest", string password = "guest") =>
        $"amqp://{user}:{password}@127.0.0.1:{Port}/{Uri.EscapeDataString(vhost)}";

    /// <summary>A fresh vhost on which guest has every permission; taken from a pool filled a batch at a time.</summary>
    public async Task<string> CreateVhostAsync()
    {
        await _vhostGate.WaitAsync();
        try
        {
            if (_vhosts.Count == 0)
            {
                var names = Enumerable.Range(0, VhostBatch).Select(_ => "t" + Interlocked.Increment(ref _vhostCounter).ToString(CultureInfo.InvariantCulture)).ToList();

                // One CLI call for the batch: each rabbitmqctl start costs an Erlang VM boot (about a second).
                var list = string.Join(",", names.Select(n => $"<<\"{n}\">>"));
                await CtlAsync("eval", $"lists:foreach(fun(N) -> ok = rabbit_vhost:add(N, <<\"celeriac-tests\">>), rabbit_auth_backend_internal:set_permissions(<<\"guest\">>, N, <<\".*\">>, <<\".*\">>, <<\".*\">>, <<\"celeriac-tests\">>) end, [{list}]).");
                foreach (var n in names)
                {
                    _vhosts.Enqueue(n);
                }
            }

            return _vhosts.Dequeue();
        }
        finally
        {
            _vhostGate.Release();
        }
    }

    /// <summary>Runs rabbitmqctl against this node; returns its output, throws on a non-zero exit.</summary>
    public async Task<string> CtlAsync(params string[] args)
    {
        using var process = Start(Path.Combine(Bin, "rabbitmqctl"), ["-q", .. args], redirect: true);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} exited {process.ExitCode}: {output}");
        }

        return output.ToString();
    }

    /// <summary>Stops the node gracefully and starts it again on the same ports and data: a broker restart.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        await CtlAsync("stop");
        await WaitForExitAsync();
        await Task.Delay(down);
        await LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        if (_watchdog is { HasExited: false })
        {
            _watchdog.Kill(entireProcessTree: true);
        }

        _watchdog?.Dispose();
        await Task.Yield();
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static async Task<RabbitMqNode> StartSharedAsync()
    {
        var node = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => node.Kill();
        return node;
    }

    private void WriteConfig()
    {
        foreach (var sub in new[] { "home", "mnesia", "log" })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(_dir, sub));
        }

        File.WriteAllText(Path.Combine(_dir, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(_dir, "rabbitmq-env.conf"), string.Empty);
        File.WriteAllText(Path.Combine(_dir, "rabbitmq.conf"), string.Join('\n',
            $"listeners.tcp.1 = 127.0.0.1:{Port}",
            "disk_free_limit.absolute = 50MB",
            "log.file.level = warning",
            string.Empty));
        if (_asRabbitmqUser)
        {
            Chown(_dir);
        }
    }

    private async Task LaunchAsync()
    {
        var log = Path.Combine(_dir, "server.out");
        File.WriteAllText(log, string.Empty);
        if (_asRabbitmqUser)
        {
            Chown(log);
        }

        // Through a shell so the server's output goes to a file and it gets its own session (a kill takes its children).
        _server = Start("/usr/bin/setsid", ["/bin/sh", "-c", $"exec {Bin}/rabbitmq-server > '{log}' 2>&1 < /dev/null"], redirect: false);
        _watchdog ??= StartWatchdog();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException($"rabbitmq-server exited ({_server.ExitCode}): {File.ReadAllText(log)}");
            }

            if (File.ReadAllText(log).Contains("completed with", StringComparison.Ordinal) && await AcceptsAmqpAsync())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"RabbitMQ did not start on 127.0.0.1:{Port} within 2 minutes: {File.ReadAllText(log)}");
    }

    private async Task WaitForExitAsync()
    {
        if (_server is null)
        {
            return;
        }

        await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        _server.Dispose();
        _server = null;
    }

    private async Task<bool> AcceptsAmqpAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            await client.GetStream().WriteAsync("AMQP\0\0\x09\x01"u8.ToArray());
            var buffer = new byte[8];
            return await client.GetStream().ReadAsync(buffer) > 0;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Kills the node's process group if the test process dies without disposing it.</summary>
    private Process StartWatchdog()
    {
        var pidFile = Path.Combine(_dir, "node.pid");
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; " +
                     $"[ -s '{pidFile}' ] && kill -9 $(cat '{pidFile}') 2>/dev/null; rm -rf '{_dir}'";
        var start = new ProcessStartInfo("/usr/bin/setsid", ["/bin/sh", "-c", script]) { UseShellExecute = false };
        return Process.Start(start)!;
    }

    private void Kill()
    {
        var pidFile = Path.Combine(_dir, "node.pid");
        try
        {
            // The pid file holds beam's pid; the sh wrapper exec'd into rabbitmq-server, which execs erl.
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                using var beam = Process.GetProcessById(pid);
                beam.Kill(entireProcessTree: true);
                beam.WaitForExit(10_000);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
        }

        try
        {
            if (_server is { HasExited: false })
            {
                _server.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private Process Start(string file, string[] args, bool redirect)
    {
        var start = new ProcessStartInfo(_asRabbitmqUser ? "/usr/sbin/runuser" : file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            WorkingDirectory = _dir,
        };
        if (_asRabbitmqUser)
        {
            foreach (var a in new[] { "-u", "rabbitmq", "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var env = start.Environment;
        env["HOME"] = Path.Combine(_dir, "home");
        env["RABBITMQ_NODENAME"] = NodeName;
        env["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture);
        env["RABBITMQ_DIST_PORT"] = DistPort.ToString(CultureInfo.InvariantCulture);
        env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        env["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dir, "mnesia");
        env["RABBITMQ_LOG_BASE"] = Path.Combine(_dir, "log");
        env["RABBITMQ_PID_FILE"] = Path.Combine(_dir, "node.pid");
        env["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dir, "enabled_plugins");
        env["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_dir, "rabbitmq-env.conf");
        env["RABBITMQ_CONFIG_FILE"] = Path.Combine(_dir, "rabbitmq");
        env["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_dir, "advanced.config");
        env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        env["RABBITMQ_CTL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        if (_asRabbitmqUser)
        {
            // runuser keeps the environment given to it; it must reach the server and the CLI.
            start.ArgumentList.Insert(0, "-p");
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static void Chown(string path)
    {
        using var chown = Process.Start(new ProcessStartInfo("/bin/chown", ["-R", "rabbitmq:rabbitmq", path]) { UseShellExecute = false })!;
        chown.WaitForExit();
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
