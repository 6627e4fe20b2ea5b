using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// Samples the length of every queue in use — the default queue, the configured ones, and those the workers consume
/// — on the broker every <see cref="DashboardOptions.QueueSampleInterval"/>, for the queues page, the queue-depth chart
/// and <c>/metrics</c>.
/// </summary>
internal sealed partial class QueueMonitor
{
    private readonly DashboardContext _context;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, long> _latest = new(StringComparer.Ordinal);

    public QueueMonitor(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard.queues");
    }

    /// <summary>The lengths measured last, by queue.</summary>
    public IReadOnlyDictionary<string, long> Latest => new SortedDictionary<string, long>(_latest, StringComparer.Ordinal);

    /// <summary>The queues in use now.</summary>
    public IReadOnlyList<string> QueueNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal) { _context.App.Options.Task.DefaultQueue };
        names.UnionWith(_context.Options.Queues);
        foreach (var w in _context.Workers.All().Where(w => w.Online))
        {
            names.UnionWith(w.Queues);
        }

        return [.. names];
    }

    /// <summary>Measures every queue now; a queue the broker cannot measure is left out.</summary>
    public async Task<IReadOnlyDictionary<string, long>> SampleAsync(CancellationToken cancellationToken)
    {
        var lengths = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in QueueNames())
        {
            try
            {
                lengths[name] = await _context.App.Transport.GetQueueLengthAsync(name, cancellationToken).ConfigureAwait(false);
                _latest[name] = lengths[name];
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                LogSampleFailed(ex, name);
            }
        }

        return lengths;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var lengths = await SampleAsync(cancellationToken).ConfigureAwait(false);
                if (lengths.Count > 0)
                {
                    await _context.Store.AddQueueSamplesAsync(WireTime.ToUnixSeconds(_context.Time.GetUtcNow()), lengths, cancellationToken).ConfigureAwait(false);
                    var json = new JsonObject();
                    foreach (var (q, n) in lengths)
                    {
                        json[q] = n;
                    }

                    _context.Feed.Publish("queues", json.ToJsonString());
                }

                await Task.Delay(_context.Options.QueueSampleInterval, _context.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSampleFailed(ex, "*");
                try
                {
                    await Task.Delay(_context.Options.QueueSampleInterval, _context.Time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    [LoggerMessage(EventId = 7020, Level = LogLevel.Debug, Message = "Dashboard could not measure queue {Queue}")]
    private partial void LogSampleFailed(Exception ex, string queue);
}
