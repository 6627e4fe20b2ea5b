using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Tasks;
using Celeriac.Worker;

namespace Celeriac.E2E;

/// <summary>
/// ETA tasks on one broker (<c>--eta S --broker URL</c>, client and worker in this process): N no-op tasks with a
/// countdown of S s published to a running worker; reports how late each started after its ETA, and how many the
/// worker held in memory at most. On RabbitMQ, compares three set-ups on queues of their own: classic queues
/// (the worker holds ETA tasks, prefetch +1 each), quorum queues on a direct exchange (the worker holds them under
/// a fixed prefetch) and quorum queues on a topic exchange (native delayed delivery: the broker holds them), and
/// with <c>--classic-levels-broker URL</c> (another vhost) the same with classic delay queues.
/// </summary>
internal static class EtaRun
{
    public static async Task RunAsync(BenchArgs arguments, string broker, double etaSeconds)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"broker {new Uri(broker).Host}:{new Uri(broker).Port}; {arguments.Tasks} no-op tasks with countdown {etaSeconds} s; -c {arguments.Concurrency}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine();
        Console.WriteLine("| set-up | publish/s | late after ETA p50 / p99 / max | held by the worker at most | all done after |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var amqp = broker.StartsWith("amqp", StringComparison.OrdinalIgnoreCase);
        var setups = amqp
            ? new[]
            {
                ("classic, direct", TaskOptions.ClassicQueueType, TaskOptions.DirectExchangeType, TaskOptions.QuorumQueueType),
                ("quorum, direct", TaskOptions.QuorumQueueType, TaskOptions.DirectExchangeType, TaskOptions.QuorumQueueType),
                ("quorum, topic: native delayed delivery, quorum levels", TaskOptions.QuorumQueueType, TaskOptions.TopicExchangeType, TaskOptions.QuorumQueueType),
            }
            : new[] { ("default", TaskOptions.ClassicQueueType, TaskOptions.DirectExchangeType, TaskOptions.QuorumQueueType) };
        foreach (var (name, queueType, exchangeType, levels) in setups)
        {
            await RunOneAsync(arguments, broker, etaSeconds, name, queueType, exchangeType, levels);
        }

        // Classic levels cannot share a vhost with quorum ones (same names): they run on a vhost of their own.
        if (arguments.ClassicLevelsBroker is { } other)
        {
            await RunOneAsync(arguments, other, etaSeconds, "quorum, topic: native delayed delivery, classic levels", TaskOptions.QuorumQueueType, TaskOptions.TopicExchangeType, TaskOptions.ClassicQueueType);
        }
    }

    private static async Task RunOneAsync(BenchArgs arguments, string broker, double etaSeconds, string name, string queueType, string exchangeType, string levels)
    {
        var queue = "eta-" + queueType + "-" + exchangeType + "-" + levels;
        var options = new CeleriacOptions
        {
            BrokerUrl = broker,
            Broker = new BrokerOptions { NativeDelayedDeliveryQueueType = levels },
            ResultBackend = arguments.Backend ?? (broker.StartsWith("amqp", StringComparison.OrdinalIgnoreCase) ? "rpc://" : broker),
            Task = new TaskOptions { DefaultQueue = queue, DefaultQueueType = queueType, DefaultExchangeType = exchangeType },
            Worker = new WorkerOptions { Concurrency = arguments.Concurrency },
        };
        await using var app = new CeleriacApp(options, Transports.Register(new CeleriacServices()));
        var late = new ConcurrentBag<double>();
        var task = app.Task<int>("bench.eta", int (TaskContext context, int i) =>
        {
            late.Add((DateTimeOffset.UtcNow - context.Request.Eta!.Value).TotalMilliseconds);
            return i;
        });
        await using var worker = await app.StartWorkerAsync(options.Worker with { Queues = [queue] });
        var held = 0;
        using var watch = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!watch.IsCancellationRequested)
            {
                held = Math.Max(held, worker.State.ScheduledIds.Count);
                await Task.Delay(20, CancellationToken.None);
            }
        });

        var sw = Stopwatch.StartNew();
        var results = new List<AsyncResult<int>>(arguments.Tasks);
        var batch = new List<Task<AsyncResult<int>>>(BenchQueue.PublishBatch);
        for (var i = 0; i < arguments.Tasks; i++)
        {
            batch.Add(task.ApplyAsync([i], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(etaSeconds) }));
            if (batch.Count == BenchQueue.PublishBatch)
            {
                results.AddRange(await Task.WhenAll(batch));
                batch.Clear();
            }
        }

        results.AddRange(await Task.WhenAll(batch));
        var publish = arguments.Tasks / sw.Elapsed.TotalSeconds;
        foreach (var r in results)
        {
            await r.GetAsync(TimeSpan.FromMinutes(10));
        }

        var done = sw.Elapsed.TotalSeconds;
        await watch.CancelAsync();
        await sampler;
        var sorted = late.Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {publish:N0} | {Percentile(sorted, 0.5):F0} / {Percentile(sorted, 0.99):F0} / {sorted[^1]:F0} ms | {held} | {done:F1} s |"));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}
