using System.Reflection;
using Celeriac.Backends;
using Celeriac.Client;
using Celeriac.Tasks;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac;

/// <summary>
/// The long-lived app (Celery's <c>Celery()</c>): options, registered tasks, the broker connection and the result
/// backend. Everything hangs off it; there is no global current app.
/// </summary>
public sealed partial class CeleriacApp : IAsyncDisposable
{
    private readonly Lazy<ITransport> _transport;
    private readonly Lazy<IResultBackend> _backend;
    private readonly TimeZoneInfo _timeZone;
    private Control.ControlClient? _control;
    private int _disposed;

    /// <summary>Creates an app; the options are validated here and the exception names a bad key.</summary>
    /// <exception cref="CeleriacConfigurationException">An option is invalid.</exception>
    public CeleriacApp(CeleriacOptions options, CeleriacServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Services = services ?? new CeleriacServices();
        _timeZone = options.ResolveTimeZone();
        TimeProvider = Services.TimeProvider;
        LoggerFactory = Services.LoggerFactory;
        Revocations = new Revocations(TimeProvider);
        NodeName = $"gen{Environment.ProcessId}@{HostName}";
        Oid = Guid.NewGuid().ToString();

        // Unknown schemes fail now, naming the key, rather than at the first send.
        var brokerUrl = BrokerUrl.Parse(options.BrokerUrl);
        Services.Transports.EnsureRegistered(brokerUrl);
        BrokerOptionsUrl = brokerUrl;
        BrokerUrl? backendUrl = options.ResultBackend is null ? null : BrokerUrl.Parse(options.ResultBackend);
        if (backendUrl is not null)
        {
            Services.Backends.EnsureRegistered(backendUrl);
        }

        _transport = new Lazy<ITransport>(() => Services.Transports.Create(new TransportContext(brokerUrl, options.Broker.TransportOptions, TimeProvider, LoggerFactory)));
        _backend = new Lazy<IResultBackend>(() => backendUrl is null
            ? DisabledResultBackend.Instance
            : Services.Backends.Create(new ResultBackendContext(backendUrl, options.Result.Expires, TimeProvider, LoggerFactory) { Transport = () => Transport, ReplyQueue = Oid }));
        Producer = new TaskProducer(this);
        Beat = new Schedules.BeatSchedule(this, options.Beat.Schedule);

        foreach (var import in options.Imports)
        {
            RegisterTasks(LoadImport(import));
        }
    }

    /// <summary>The options.</summary>
    public CeleriacOptions Options { get; }

    /// <summary>The services the app was composed with.</summary>
    public CeleriacServices Services { get; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Logging.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The registered tasks.</summary>
    public TaskRegistry Tasks { get; } = new();

    /// <summary>
    /// The periodic tasks a beat sends (<c>beat_schedule</c> plus entries added in code):
    /// <c>app.Beat.Add("every-minute", add.Signature(10, 20), Crontab.Parse("*/1 * * * *"))</c>.
    /// </summary>
    public Schedules.BeatSchedule Beat { get; }

    /// <summary>The app's Lamport clock (events, remote control).</summary>
    public Control.LamportClock Clock { get; } = new();

    /// <summary>Remote control of workers (ping, and in later versions inspect/control commands).</summary>
    public Control.ControlClient Control => _control ??= new Control.ControlClient(this);

    /// <summary>Task ids revoked in this process.</summary>
    public Revocations Revocations { get; }

    /// <summary>This process's node name as a client, <c>gen&lt;pid&gt;@&lt;host&gt;</c> (the <c>origin</c> header).</summary>
    public string NodeName { get; }

    /// <summary>This app's reply-queue id (<c>reply_to</c>).</summary>
    public string Oid { get; }

    /// <summary>The machine's host name, as used in node names.</summary>
    public static string HostName { get; } = System.Net.Dns.GetHostName();

    /// <summary>The parsed broker URL.</summary>
    public BrokerUrl BrokerOptionsUrl { get; }

    /// <summary>The broker connection, opened on first use.</summary>
    public ITransport Transport => _transport.Value;

    /// <summary>The result backend, opened on first use (the disabled backend when <c>result_backend</c> is not set).</summary>
    public IResultBackend Backend => _backend.Value;

    /// <summary>The app's time zone (<c>timezone</c>).</summary>
    public TimeZoneInfo TimeZone => _timeZone;

    internal TaskProducer Producer { get; }

    /// <summary>The current time in the app's time zone (Celery's <c>app.now()</c>).</summary>
    public DateTimeOffset Now() => ToAppTime(TimeProvider.GetUtcNow());

    /// <summary>Converts a time to the app's time zone, as eta/expires headers carry it.</summary>
    public DateTimeOffset ToAppTime(DateTimeOffset value) => TimeZoneInfo.ConvertTime(value, _timeZone);

    /// <summary>
    /// Registers a task from a delegate: <c>app.Task("proj.add", (int x, int y) =&gt; x + y)</c>. The delegate may be
    /// async, and may take a <see cref="CancellationToken"/> and a <see cref="TaskContext"/>.
    /// </summary>
    public CeleriacTask Task(string name, Delegate function, TaskSettings? settings = null) =>
        new(this, Register(name, function, settings));

    /// <summary>Registers a task whose results convert to <typeparamref name="TResult"/>.</summary>
    public CeleriacTask<TResult> Task<TResult>(string name, Delegate function, TaskSettings? settings = null) =>
        new(this, Register(name, function, settings));

    /// <summary>Registers every <see cref="CeleriacTaskAttribute"/> method of <paramref name="assembly"/>.</summary>
    public IReadOnlyList<TaskDefinition> RegisterTasks(Assembly assembly) => Tasks.AddFromAssembly(assembly);

    /// <summary>A handle on a registered task, by name.</summary>
    /// <exception cref="KeyNotFoundException">No task has that name.</exception>
    public CeleriacTask GetTask(string name) =>
        Tasks.TryGet(name, out var def) ? new CeleriacTask(this, def) : throw new KeyNotFoundException($"no task named '{name}' is registered");

    /// <summary>
    /// Sends a task by name; its code may live anywhere, e.g. in a Python worker (Celery's <c>send_task</c>).
    /// </summary>
    public async Task<AsyncResult> SendTaskAsync(
        string name,
        object?[]? args = null,
        IReadOnlyDictionary<string, object?>? kwargs = null,
        ApplyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var id = await CeleriacTask.SendAsync(this, name, args, kwargs, options ?? new ApplyOptions(), cancellationToken).ConfigureAwait(false);
        return new AsyncResult(id, this);
    }

    /// <summary>A handle on a result by task id.</summary>
    public AsyncResult AsyncResult(string taskId) => new(taskId, this);

    /// <summary>
    /// Revokes a task in every worker — this process's at once, the others by a remote-control broadcast;
    /// <paramref name="terminate"/> cancels it where it is running.
    /// </summary>
    public async ValueTask RevokeAsync(string taskId, bool terminate = false, CancellationToken cancellationToken = default)
    {
        Revocations.Revoke([taskId], terminate);
        await Control.RevokeAsync([taskId], terminate, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // The backend first: an rpc:// backend consumes its reply queue through the transport.
        if (_backend.IsValueCreated)
        {
            await _backend.Value.DisposeAsync().ConfigureAwait(false);
        }

        if (_transport.IsValueCreated)
        {
            await _transport.Value.DisposeAsync().ConfigureAwait(false);
        }
    }

    private TaskDefinition Register(string name, Delegate function, TaskSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Tasks.Add(new TaskDefinition(name, function.Method, function.Target, settings ?? new TaskSettings()));
    }

    private static Assembly LoadImport(string name)
    {
        try
        {
            return AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name) ?? Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new CeleriacConfigurationException("imports", $"cannot load assembly '{name}': {ex.Message}", ex);
        }
    }
}
