using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>Keeps the history within <see cref="DashboardOptions.MaxAge"/> and <see cref="DashboardOptions.MaxTasks"/>: at start, then every <see cref="DashboardOptions.PruneInterval"/>.</summary>
internal sealed partial class HistoryPruner
{
    private readonly DashboardContext _context;
    private readonly ILogger _logger;

    public HistoryPruner(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard.history");
    }

    /// <summary>Prunes once; returns the tasks removed.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = WireTime.ToUnixSeconds(_context.Time.GetUtcNow() - _context.Options.MaxAge);
        return _context.Store.PruneAsync(cutoff, _context.Options.MaxTasks, cancellationToken);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var removed = await PruneAsync(cancellationToken).ConfigureAwait(false);
                if (removed > 0)
                {
                    LogPruned(removed);
                }

                await Task.Delay(_context.Options.PruneInterval, _context.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                LogPruneFailed(ex);
                try
                {
                    await Task.Delay(_context.Options.PruneInterval, _context.Time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    [LoggerMessage(EventId = 7030, Level = LogLevel.Information, Message = "Dashboard pruned {Count} tasks from the history")]
    private partial void LogPruned(int count);

    [LoggerMessage(EventId = 7031, Level = LogLevel.Warning, Message = "Dashboard could not prune the history")]
    private partial void LogPruneFailed(Exception ex);
}
