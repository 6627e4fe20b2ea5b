using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard;

/// <summary>
/// Starts the dashboard with its host: opens the history (a bad file fails the start, naming <c>--db</c>), loads the
/// workers it remembers, prunes, then runs the event collector, the inspector, the queue sampler and the pruner until
/// the host stops.
/// </summary>
internal sealed partial class DashboardRuntime : IHostedService, IDisposable
{
    private readonly DashboardContext _context;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loops = Task.CompletedTask;

    public DashboardRuntime(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _context.Store.OpenAsync(cancellationToken).ConfigureAwait(false);
        _context.Workers.Load(await _context.Store.GetWorkersAsync(cancellationToken).ConfigureAwait(false));
        await _context.Pruner.PruneAsync(cancellationToken).ConfigureAwait(false);
        var token = _stopping.Token;
        _loops = Task.WhenAll(
            _context.Collector.RunAsync(token),
            Task.Run(() => _context.Inspector.RunAsync(token), token),
            Task.Run(() => _context.Queues.RunAsync(token), token),
            Task.Run(() => _context.Pruner.RunAsync(token), token));
        _context.Started = true;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var count = await _context.Store.CountAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(_context.Store.Path, count);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loops.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(EventId = 7040, Level = LogLevel.Information, Message = "Dashboard history {Path} open with {Count} tasks")]
    private partial void LogStarted(string path, long count);
}
