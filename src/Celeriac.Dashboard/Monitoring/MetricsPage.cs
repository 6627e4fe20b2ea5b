using System.Text;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// <c>/metrics</c>: Flower's families (events, runtimes, prefetch, workers online and busy) and the dashboard's own —
/// tasks in the history by name and state, workers online, queue lengths, history size.
/// </summary>
internal static class MetricsPage
{
    public static async Task WriteAsync(DashboardContext dashboard, StringBuilder sb, CancellationToken cancellationToken)
    {
        dashboard.Metrics.Write(sb);
        var workers = dashboard.Workers.All();

        PrometheusWriter.Header(sb, "flower_worker_online", "Worker online status", "gauge");
        foreach (var w in workers)
        {
            PrometheusWriter.Sample(sb, "flower_worker_online", [("worker", w.Hostname)], w.Online ? 1 : 0);
        }

        PrometheusWriter.Header(sb, "flower_worker_number_of_currently_executing_tasks", "Number of tasks currently executing at a worker", "gauge");
        foreach (var w in workers.Where(w => w.Online))
        {
            PrometheusWriter.Sample(sb, "flower_worker_number_of_currently_executing_tasks", [("worker", w.Hostname)], w.Active);
        }

        PrometheusWriter.Header(sb, "celeriac_workers_online", "Workers whose heartbeat is current", "gauge");
        PrometheusWriter.Sample(sb, "celeriac_workers_online", [], workers.Count(w => w.Online));

        PrometheusWriter.Header(sb, "celeriac_tasks", "Tasks in the dashboard's history by name and state", "gauge");
        foreach (var (name, state, count) in (await dashboard.Store.CountByNameAndStateAsync(cancellationToken).ConfigureAwait(false)).OrderBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.State, StringComparer.Ordinal))
        {
            PrometheusWriter.Sample(sb, "celeriac_tasks", [("name", name), ("state", state)], count);
        }

        PrometheusWriter.Header(sb, "celeriac_queue_length", "Messages waiting in a queue, as last sampled", "gauge");
        foreach (var (queue, length) in dashboard.Queues.Latest)
        {
            PrometheusWriter.Sample(sb, "celeriac_queue_length", [("queue", queue)], length);
        }

        PrometheusWriter.Header(sb, "celeriac_dashboard_history_tasks", "Tasks kept in the history file", "gauge");
        PrometheusWriter.Sample(sb, "celeriac_dashboard_history_tasks", [], await dashboard.Store.CountAsync(cancellationToken).ConfigureAwait(false));

        PrometheusWriter.Header(sb, "celeriac_dashboard_live_clients", "Pages receiving live updates", "gauge");
        PrometheusWriter.Sample(sb, "celeriac_dashboard_live_clients", [], dashboard.Feed.Count);
    }
}
