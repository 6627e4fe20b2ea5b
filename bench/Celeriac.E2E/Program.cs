using System.Diagnostics;
using System.Globalization;
using Celeriac;
using Celeriac.Cli;
using Celeriac.Worker;

// End-to-end load run: N no-op tasks published, then drained by a worker with results stored, on any broker URL.
// Reports publish/s, drain/s, round-trip p50/p99 (one task at a time), and the process's peak RSS.
//   dotnet run -c Release --project bench/Celeriac.E2E -- --broker sqlite:///bench.db --tasks 5000 --concurrency 4 --rounds 3
var arguments = Args.Parse(args);
var options = new CeleriacOptions
{
    BrokerUrl = arguments.Broker,
    ResultBackend = arguments.Backend ?? DefaultBackend(arguments.Broker),
    Worker = new WorkerOptions { Concurrency = arguments.Concurrency },
};
await using var app = new CeleriacApp(options, Transports.Register(new CeleriacServices()));
var noop = app.Task<int>("bench.noop", (int i) => i);
await app.Transport.PurgeAsync("celery");

var publish = new List<double>();
var drain = new List<double>();
var rtts = new List<double>();
for (var round = 0; round < arguments.Rounds; round++)
{
    // Publish with no worker running, so the rate is the client's alone.
    var ids = new List<Celeriac.Client.AsyncResult<int>>(arguments.Tasks);
    var sw = Stopwatch.StartNew();
    var batch = new List<Task<Celeriac.Client.AsyncResult<int>>>(256);
    for (var i = 0; i < arguments.Tasks; i++)
    {
        batch.Add(noop.DelayAsync(i));
        if (batch.Count == 256)
        {
            ids.AddRange(await Task.WhenAll(batch));
            batch.Clear();
        }
    }

    ids.AddRange(await Task.WhenAll(batch));
    publish.Add(arguments.Tasks / sw.Elapsed.TotalSeconds);

    // Drain: a worker runs them all and stores every result; the clock stops when the last result is readable.
    sw.Restart();
    await using (var worker = await app.StartWorkerAsync(options.Worker))
    {
        await ids[^1].GetAsync(TimeSpan.FromMinutes(10));
        foreach (var r in ids)
        {
            await r.GetAsync(TimeSpan.FromMinutes(10));
        }

        drain.Add(arguments.Tasks / sw.Elapsed.TotalSeconds);

        // Round trip: one task at a time, send to result.
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
    broker            {app.BrokerOptionsUrl.Redacted}
    tasks x rounds    {arguments.Tasks} x {arguments.Rounds}, concurrency {arguments.Concurrency}
    publish/s median  {Median(publish):F0}   (rounds: {string.Join(", ", publish.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))})
    drain/s median    {Median(drain):F0}   (rounds: {string.Join(", ", drain.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))}) with results stored
    round trip p50    {Percentile(rtts, 0.50):F2} ms
    round trip p99    {Percentile(rtts, 0.99):F2} ms
    peak RSS          {self.PeakWorkingSet64 / (1024 * 1024)} MiB (client and worker in one process)
    """));

// An AMQP broker is no result store: Celery's pairing is the rpc:// backend (results as messages to the client).
static string DefaultBackend(string broker) => broker.StartsWith("amqp", StringComparison.OrdinalIgnoreCase) || broker.StartsWith("pyamqp", StringComparison.OrdinalIgnoreCase) ? "rpc://" : broker;

static double Median(List<double> values) => Percentile([.. values.Order()], 0.5);

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];

internal sealed record Args(string Broker, string? Backend, int Tasks, int Concurrency, int Rounds, int RoundTrips)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var backend = Get("--backend", string.Empty);
        return new Args(
            Get("--broker", "sqlite:///bench.db"),
            backend.Length == 0 ? null : backend,
            int.Parse(Get("--tasks", "5000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--concurrency", "4"), CultureInfo.InvariantCulture),
            int.Parse(Get("--rounds", "3"), CultureInfo.InvariantCulture),
            int.Parse(Get("--round-trips", "200"), CultureInfo.InvariantCulture));
    }
}
