using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Dashboard.History;
using Celeriac.Events;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// The counters behind <c>/metrics</c> that only events can tell (Flower's names, so existing Grafana boards keep
/// working): events by worker, type and task; task runtimes; prefetched tasks and their wait. Gauges that the history
/// or the workers can answer at scrape time are written by <see cref="PrometheusWriter"/>.
/// Source: flower/events.py (PrometheusMetrics).
/// </summary>
internal sealed class DashboardMetrics
{
    /// <summary>Prometheus' default histogram buckets (Flower's default <c>--task-runtime-metric-buckets</c>).</summary>
    public static readonly double[] RuntimeBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Worker, string Type, string Task), long> _events = [];
    private readonly Dictionary<(string Worker, string Task), Histogram> _runtime = [];
    private readonly Dictionary<(string Worker, string Task), long> _prefetched = [];
    private readonly Dictionary<(string Worker, string Task), double> _prefetchTime = [];

    /// <summary>Counts one event; <paramref name="task"/> is the task after the event was merged (for its name).</summary>
    public void Observe(JsonObject e, TaskRecord? task)
    {
        var type = TaskEventMerge.Str(e, "type") ?? "?";
        var worker = TaskEventMerge.Str(e, "hostname") ?? string.Empty;
        var name = task?.Name ?? TaskEventMerge.Str(e, "name") ?? string.Empty;
        lock (_lock)
        {
            _events[(worker, type, name)] = _events.GetValueOrDefault((worker, type, name)) + 1;
            switch (type)
            {
                case EventNames.TaskReceived:
                    _prefetched[(worker, name)] = _prefetched.GetValueOrDefault((worker, name)) + 1;
                    break;
                case EventNames.TaskStarted:
                    _prefetched[(worker, name)] = Math.Max(0, _prefetched.GetValueOrDefault((worker, name)) - 1);
                    if (task is { Received: { } received, Started: { } started })
                    {
                        _prefetchTime[(worker, name)] = Math.Max(0, started - received);
                    }

                    break;
                case EventNames.TaskSucceeded when TaskEventMerge.Num(e, "runtime") is { } runtime:
                    if (!_runtime.TryGetValue((worker, name), out var h))
                    {
                        _runtime[(worker, name)] = h = new Histogram();
                    }

                    h.Observe(runtime);
                    break;
            }
        }
    }

    /// <summary>Writes the event-driven families in Prometheus' text format.</summary>
    public void Write(StringBuilder sb)
    {
        lock (_lock)
        {
            PrometheusWriter.Header(sb, "flower_events_total", "Number of events", "counter");
            foreach (var ((worker, type, task), n) in _events.OrderBy(p => p.Key))
            {
                PrometheusWriter.Sample(sb, "flower_events_total", [("worker", worker), ("type", type), ("task", task)], n);
            }

            PrometheusWriter.Header(sb, "flower_task_runtime_seconds", "Task runtime", "histogram");
            foreach (var ((worker, task), h) in _runtime.OrderBy(p => p.Key))
            {
                long cumulative = 0;
                for (var i = 0; i < RuntimeBuckets.Length; i++)
                {
                    cumulative += h.Counts[i];
                    PrometheusWriter.Sample(sb, "flower_task_runtime_seconds_bucket", [("worker", worker), ("task", task), ("le", RuntimeBuckets[i].ToString("0.0##", CultureInfo.InvariantCulture))], cumulative);
                }

                PrometheusWriter.Sample(sb, "flower_task_runtime_seconds_bucket", [("worker", worker), ("task", task), ("le", "+Inf")], h.Count);
                PrometheusWriter.Sample(sb, "flower_task_runtime_seconds_sum", [("worker", worker), ("task", task)], h.Sum);
                PrometheusWriter.Sample(sb, "flower_task_runtime_seconds_count", [("worker", worker), ("task", task)], h.Count);
            }

            PrometheusWriter.Header(sb, "flower_task_prefetch_time_seconds", "The time the task spent waiting at the celery worker to be executed.", "gauge");
            foreach (var ((worker, task), t) in _prefetchTime.OrderBy(p => p.Key))
            {
                PrometheusWriter.Sample(sb, "flower_task_prefetch_time_seconds", [("worker", worker), ("task", task)], t);
            }

            PrometheusWriter.Header(sb, "flower_worker_prefetched_tasks", "Number of tasks of given type prefetched at a worker", "gauge");
            foreach (var ((worker, task), n) in _prefetched.OrderBy(p => p.Key))
            {
                PrometheusWriter.Sample(sb, "flower_worker_prefetched_tasks", [("worker", worker), ("task", task)], n);
            }
        }
    }

    private sealed class Histogram
    {
        public long[] Counts { get; } = new long[RuntimeBuckets.Length];

        public long Count { get; private set; }

        public double Sum { get; private set; }

        public void Observe(double value)
        {
            Count++;
            Sum += value;
            for (var i = 0; i < RuntimeBuckets.Length; i++)
            {
                if (value <= RuntimeBuckets[i])
                {
                    Counts[i]++;
                    break;
                }
            }
        }
    }
}
