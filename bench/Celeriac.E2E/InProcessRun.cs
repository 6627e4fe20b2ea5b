using System.Diagnostics;
using System.Globalization;
using Celeriac.Cli;
using Celeriac.Client;
using Celeriac.Worker;

namespace Celeriac.E2E;

/// <summary>
/// The run on any broker URL with client and worker in this process (memory://, sqlite:///...): N tasks published
/// with no worker running, then drained by a worker with every result stored, then one-at-a-time round trips.
/// </summary>
internal static class InProcessRun
{
    public static async Task RunAsync(BenchArgs arguments, string broker)
    {
        var options = new CeleriacOptions
        {
            BrokerUrl = broker,
            ResultBackend = arguments.Backend ?? DefaultBackend(broker),
            Worker = new WorkerOptions { Concurrency = arguments.Concurrency },
        };
        await using var app = new CeleriacApp(options, Transports.Register(new CeleriacServices()));
        var noop = app.Task<int>(BenchQueue.Task, (int i) => i);
        await app.Transport.PurgeAsync("celery");

        var publish = new List<double>();
        var drain = new List<double>();
        var rtts = new List<double>();
        for (var round = 0; round < arguments.Rounds; round++)
        {
            var ids = new List<AsyncResult<int>>(arguments.Tasks);
            var sw = Stopwatch.StartNew();
            var batch = new List<Task<AsyncResult<int>>>(BenchQueue.PublishBatch);
            for (var i = 0; i < arguments.Tasks; i++)
            {
                batch.Add(noop.DelayAsync(i));
                if (batch.Count == BenchQueue.PublishBatch)
                {
                    ids.AddRange(await Task.WhenAll(batch));
                    batch.Clear();
                }
            }

            ids.AddRange(await Task.WhenAll(batch));
            publish.Add(arguments.Tasks / sw.Elapsed.TotalSeconds);

            sw.Restart();
            await using (var worker = await app.StartWorkerAsync(options.Worker))
            {
                foreach (var r in ids)
                {
                    await r.GetAsync(TimeSpan.FromMinutes(10));
                }

                drain.Add(arguments.Tasks / sw.Elapsed.TotalSeconds);
                for (var i = 0; i < arguments.RoundTrips; i++)
                {
                    var one = Stopwatch.StartNew();
                    await (await noop.DelayAsync(i)).GetAsync(TimeSpan.FromSeconds(30));
                    rtts.Add(one.Elapsed.TotalMilliseconds);
                }
            }
        }

        rtts.Sort();
        using var self = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            broker            {app.BrokerOptionsUrl.Redacted} (client and worker in this process)
            tasks x rounds    {arguments.Tasks} x {arguments.Rounds}, concurrency {arguments.Concurrency}
            publish/s median  {Median(publish):F0}   (rounds: {string.Join(", ", publish.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))})
            drain/s median    {Median(drain):F0}   (rounds: {string.Join(", ", drain.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))}) with results stored
            round trip p50    {Percentile(rtts, 0.50):F2} ms
            round trip p99    {Percentile(rtts, 0.99):F2} ms
            peak RSS          {self.PeakWorkingSet64 / (1024 * 1024)} MiB (client and worker in one process)
            """));
    }

    private static double Median(List<double> values) => Percentile([.. values.Order()], 0.5);

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];

    // An AMQP broker is no result store: Celery's pairing is the rpc:// backend (results as messages to the client).
    private static string DefaultBackend(string broker) =>
        broker.StartsWith("amqp", StringComparison.OrdinalIgnoreCase) || broker.StartsWith("pyamqp", StringComparison.OrdinalIgnoreCase) ? "rpc://" : broker;
}
