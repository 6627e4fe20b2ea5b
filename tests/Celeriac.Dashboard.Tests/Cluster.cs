using Celeriac.Client;
using Celeriac.Redis;
using Celeriac.RedisTests;
using Celeriac.Worker;
using Microsoft.Playwright;

namespace Celeriac.Dashboard.Tests;

/// <summary>
/// A whole cluster on this machine, shared by the dashboard tests: a private redis-server, a Celeriac worker
/// (<c>celeriac@dash</c>, queue <c>celery</c>, task events on, result_extended), a real Python Celery 5.2 worker
/// (<c>py@dash</c>, queue <c>py</c>, <c>-E</c>), a client, the dashboard on a free loopback port with its own history
/// file, and headless Debian Chromium. Everything is stopped by PID at the end.
/// </summary>
public sealed class Cluster : IAsyncLifetime
{
    public const string CeleriacWorker = "celeriac@dash";
    public const string PythonWorker = "py@dash";
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-dashboard-").FullName;
    private readonly List<CeleriacApp> _apps = [];

    public RedisServer Redis { get; } = new();

    public CeleriacApp Client { get; private set; } = null!;

    public WorkerHost Worker { get; private set; } = null!;

    public PythonProcess Python { get; private set; } = null!;

    public DashboardServer Dashboard { get; private set; } = null!;

    public string HistoryPath => Path.Combine(_dir, "history.db");

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BrokerUrl => Redis.Url(0);

    public string BackendUrl => Redis.Url(1);

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        var workerApp = NewApp(o => o with { Result = o.Result with { Extended = true } });
        workerApp.Task("dash.add", (int x, int y) => x + y);
        workerApp.Task("dash.echo", (string text) => text);
        workerApp.Task("dash.fail", int (string message) => throw TaskFailedException.Python("ValueError", message));
        workerApp.Task("dash.sleep", async (double seconds, CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            return seconds;
        });
        Worker = await workerApp.StartWorkerAsync(new WorkerOptions { Hostname = CeleriacWorker, Concurrency = 2, SendTaskEvents = true, Queues = ["celery"] });

        Python = PythonProcess.Start(
            new Dictionary<string, string> { ["CELERY_BROKER_URL"] = BrokerUrl, ["CELERY_RESULT_BACKEND"] = BackendUrl, ["INTEROP_QUEUE"] = "py" },
            "-m", "celery", "-A", "interop_tasks", "worker", "-E", "-Q", "py", "-n", PythonWorker, "-c", "2", "--without-mingle", "--without-gossip", "-l", "INFO");
        if (!await Python.WaitForOutputAsync("ready.", Wait))
        {
            throw new InvalidOperationException("the Python worker did not start:\n" + Python.Output);
        }

        Client = NewApp();
        await StartDashboardAsync();

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,

            // Without the background-networking flags Chromium dials out at start, which this machine's closed network
            // refuses; the dashboard is all it needs. Playwright gives it a new empty profile directory.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new app on the cluster's broker and backend (disposed at the end).</summary>
    public CeleriacApp NewApp(Func<CeleriacOptions, CeleriacOptions>? configure = null)
    {
        var options = new CeleriacOptions { BrokerUrl = BrokerUrl, ResultBackend = BackendUrl };
        var app = new CeleriacApp(configure?.Invoke(options) ?? options, new CeleriacServices().AddRedis());
        _apps.Add(app);
        return app;
    }

    /// <summary>Test-friendly dashboard settings: frequent sampling and inspection, loopback, the cluster's history file.</summary>
    public DashboardOptions Options(string? historyPath = null) => new()
    {
        Port = 0,
        HistoryPath = historyPath ?? HistoryPath,
        QueueSampleInterval = TimeSpan.FromSeconds(1),
        InspectInterval = TimeSpan.FromSeconds(3),
        ControlTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Starts a dashboard and waits until it receives events.</summary>
    public async Task<DashboardServer> StartAsync(DashboardOptions options)
    {
        var server = await DashboardServer.StartAsync(NewApp(), options);
        await server.Context.Collector.Listening.WaitAsync(Wait);
        return server;
    }

    public async Task StartDashboardAsync() => Dashboard = await StartAsync(Options());

    /// <summary>Stops the shared dashboard and starts a new one on the same history file.</summary>
    public async Task RestartDashboardAsync()
    {
        await Dashboard.DisposeAsync();
        await StartDashboardAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        if (Dashboard is not null)
        {
            await Dashboard.DisposeAsync();
        }

        if (Python is not null)
        {
            await Python.DisposeAsync();
        }

        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await Redis.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} not found: install the Debian packages chromium and chromium-driver (scripts/test does)");
    }

    /// <summary>The repository's root (where Celeriac.slnx is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Celeriac.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Celeriac.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Where screenshots go: .artifacts/screenshots at the repository root.</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            var path = Path.Combine(RepositoryRoot, ".artifacts", "screenshots");
            Directory.CreateDirectory(path);
            return path;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterGroup : ICollectionFixture<Cluster>
{
    public const string Name = "cluster";
}
