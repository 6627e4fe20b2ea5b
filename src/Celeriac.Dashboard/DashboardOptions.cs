namespace Celeriac.Dashboard;

/// <summary>
/// The dashboard's settings (Flower's command-line options where they exist: <c>--address</c>, <c>--port</c>,
/// <c>--basic-auth</c>, <c>--db</c>, <c>--max-tasks</c>, <c>--url-prefix</c>, <c>--enable-events</c>).
/// </summary>
public sealed record DashboardOptions
{
    /// <summary>The address to listen on. Anything but a loopback address needs accounts or <see cref="Insecure"/>.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>The TCP port (Flower's default, 5555).</summary>
    public int Port { get; init; } = 5555;

    /// <summary>
    /// Serve without authentication on a non-loopback address. Off by default: an open dashboard lets anyone shut down
    /// workers and read task arguments (Flower's CVE-2022-30034).
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>Accounts for HTTP basic authentication and bearer tokens, each with its role.</summary>
    public IReadOnlyList<DashboardAccount> Accounts { get; init; } = [];

    /// <summary>Nobody may act (revoke, shut down, send tasks): every account, and the anonymous user, is read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The SQLite file that keeps the task history across restarts (Flower's <c>--db</c>).</summary>
    public string HistoryPath { get; init; } = "celeriac-dashboard.db";

    /// <summary>Tasks kept in the history; the oldest are pruned beyond this (Flower's <c>--max-tasks</c>).</summary>
    public int MaxTasks { get; init; } = 100_000;

    /// <summary>Tasks first seen longer ago than this are pruned.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often the history is pruned.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often queue lengths are sampled for the queue-depth chart and <c>/metrics</c>.</summary>
    public TimeSpan QueueSampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often workers are asked for their stats and queues (pool size, consumers).</summary>
    public TimeSpan InspectInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a remote-control request waits for a worker's reply.</summary>
    public TimeSpan ControlTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Ask workers to send task events (<c>enable_events</c>) at start and every minute, as Flower does by default
    /// (<c>--enable-events</c>); off leaves workers as they were started.
    /// </summary>
    public bool EnableEvents { get; init; } = true;

    /// <summary>Queues always shown and sampled, besides the default queue and those workers consume.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];

    /// <summary>The path the dashboard is served under behind a proxy (Flower's <c>--url-prefix</c>), e.g. <c>/flower</c>.</summary>
    public string UrlPrefix { get; init; } = string.Empty;

    /// <summary>Throws when the settings are inconsistent, naming the setting.</summary>
    /// <exception cref="CeleriacConfigurationException">A setting is invalid.</exception>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new CeleriacConfigurationException("--port", $"{Port} is not a TCP port (0-65535)");
        }

        if (string.IsNullOrWhiteSpace(HistoryPath))
        {
            throw new CeleriacConfigurationException("--db", "the history file path is empty");
        }

        if (MaxTasks < 1)
        {
            throw new CeleriacConfigurationException("--max-tasks", "must be at least 1");
        }

        if (MaxAge <= TimeSpan.Zero)
        {
            throw new CeleriacConfigurationException("--max-age", "must be positive");
        }

        if (UrlPrefix.Length > 0 && (!UrlPrefix.StartsWith('/') || UrlPrefix.EndsWith('/')))
        {
            throw new CeleriacConfigurationException("--url-prefix", $"'{UrlPrefix}' must start with '/' and not end with one, e.g. /flower");
        }

        foreach (var account in Accounts)
        {
            account.Validate();
        }
    }
}
