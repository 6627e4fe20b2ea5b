using System.Threading.Channels;
using Celeriac.Dashboard.Api;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// Asks the online workers what events do not tell — <c>stats</c> (pool size), <c>active_queues</c> (the queues
/// page's consumers), <c>registered</c> and <c>conf</c> — every <see cref="DashboardOptions.InspectInterval"/>, and at
/// once when a new worker appears; and, as Flower does by default, tells workers to send task events.
/// </summary>
internal sealed partial class WorkerInspector
{
    /// <summary>The inspect commands whose replies are kept for every worker.</summary>
    public static readonly string[] Commands = ["stats", "active_queues", "registered", "conf"];

    /// <summary>Every inspect command the worker page shows (Flower's <c>update_workers</c> set).</summary>
    public static readonly string[] AllCommands = ["stats", "active_queues", "registered", "conf", "active", "reserved", "scheduled", "revoked"];

    private static readonly TimeSpan EnableEventsInterval = TimeSpan.FromSeconds(60);

    private readonly DashboardContext _context;
    private readonly ILogger _logger;
    private readonly Channel<bool> _poke = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private DateTimeOffset _eventsEnabledAt = DateTimeOffset.MinValue;

    public WorkerInspector(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard.inspect");
    }

    /// <summary>Asks for an inspect round soon.</summary>
    public void Poke() => _poke.Writer.TryWrite(true);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (options.EnableEvents && _context.Time.GetUtcNow() - _eventsEnabledAt >= EnableEventsInterval)
                {
                    _eventsEnabledAt = _context.Time.GetUtcNow();
                    await _context.Control.CastAsync("enable_events", cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                await InspectAsync(_context.Workers.OnlineNames, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogInspectFailed(ex);
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(options.InspectInterval);
            try
            {
                await _poke.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Runs the kept inspect commands against <paramref name="workers"/> and records the replies.</summary>
    public Task InspectAsync(IReadOnlyList<string> workers, CancellationToken cancellationToken) => RefreshAsync(workers, Commands, cancellationToken);

    /// <summary>Runs <paramref name="commands"/> against <paramref name="workers"/>, records every reply, and pushes the changes.</summary>
    public async Task<IReadOnlySet<string>> RefreshAsync(IReadOnlyList<string> workers, IReadOnlyList<string> commands, CancellationToken cancellationToken)
    {
        if (workers.Count == 0)
        {
            return new HashSet<string>();
        }

        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in commands)
        {
            var replies = await _context.Control.InspectAsync(command, workers, _context.Options.ControlTimeout, cancellationToken).ConfigureAwait(false);
            foreach (var (node, reply) in replies)
            {
                _context.Workers.SetInfo(node, command, reply);
                answered.Add(node);
            }
        }

        foreach (var node in answered)
        {
            if (_context.Workers.Get(node) is { } view)
            {
                _context.Feed.Publish("worker", DashboardJson.Worker(view).ToJsonString());
                await _context.Store.SaveWorkerAsync(node, view.LastHeartbeat ?? Protocol.WireTime.ToUnixSeconds(_context.Time.GetUtcNow()), !view.Online, null, view.Info, cancellationToken).ConfigureAwait(false);
            }
        }

        return answered;
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "Dashboard could not inspect the workers")]
    private partial void LogInspectFailed(Exception ex);
}
