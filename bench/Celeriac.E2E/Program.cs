using System.Diagnostics;
using System.Globalization;
using Celeriac.Cli;
using Celeriac.E2E;

// End-to-end load run (bench/README.md). Without --broker: a private loopback redis-server, and each round runs
// Celeriac, then Python Celery 5.2 (solo, then prefork -c 2) on the same workload, alternating; reports publish/s,
// drain/s with results stored, round trip p50/p99, the worker's peak RSS and Redis commands per task, with ratios.
// With --broker URL (memory://, sqlite:///...): the in-process run of one transport, Celeriac only.
// With --broker URL --eta S: ETA tasks (countdown S s), how late they start and how many the worker holds (EtaRun).
//   dotnet bench/Celeriac.E2E/bin/Release/net10.0/Celeriac.E2E.dll --tasks 20000 --rounds 3
//   (this program's `worker ...` command is the Celeriac worker the bench starts)
if (args.Length > 0 && args[0] == "worker")
{
    return await CeleriacCli.RunAsync(args, registerTasks: app => app.Task<int>(BenchQueue.Task, (int i) => i));
}

var arguments = BenchArgs.Parse(args);
if (arguments.Broker is { } etaBroker && arguments.EtaSeconds is { } eta)
{
    await EtaRun.RunAsync(arguments, etaBroker, eta);
    return 0;
}

if (arguments.Broker is { } url)
{
    await InProcessRun.RunAsync(arguments, url);
    return 0;
}

await using var redis = await BenchRedis.StartAsync();
var probe = new RedisProbe(redis.Admin, redis.Port);
var (broker, backend) = (redis.Url(0), redis.Url(1));
var contenders = new List<IContender> { new CeleriacContender(broker, backend, arguments.Concurrency) };
if (arguments.Python)
{
    contenders.Add(new PythonContender(broker, backend, "python solo", ["-P", "solo"]));
    contenders.Add(new PythonContender(broker, backend, "python prefork -c 2", ["-P", "prefork", "-c", "2"]));
}

var rounds = contenders.ToDictionary(c => c.Name, _ => new List<RoundResult>());
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"redis-server 127.0.0.1:{redis.Port}; {arguments.Tasks} no-op tasks x {arguments.Rounds} rounds; {arguments.RoundTrips} round trips; load average {LoadAverage()}"));
for (var round = 0; round < arguments.Rounds; round++)
{
    foreach (var contender in contenders)
    {
        var r = await RunRoundAsync(contender, arguments, probe);
        rounds[contender.Name].Add(r);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1} {contender.Name,-22} publish {r.PublishPerSecond,8:F0}/s  drain {r.DrainPerSecond,8:F0}/s  p50 {r.P50,6:F2} ms  p99 {r.P99,6:F2} ms  rss {r.PeakRssMiB,5:F0} MiB  cpu/task worker {r.WorkerCpuMicros,5:F0} us redis {r.RedisCpuMicros,4:F0} us  cmds/task {r.PublishCommands + r.DrainCommands,5:F2} ({r.Breakdown})"));
    }
}

Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Medians of {arguments.Rounds} rounds ({arguments.Tasks} tasks, load average now {LoadAverage()}):"));
Console.WriteLine();
Console.WriteLine("| worker | publish/s | drain/s with results | round trip p50 / p99 | worker peak RSS | worker CPU per task | redis-server CPU per task | Redis commands per task (publish + drain) |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, list) in rounds)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(list, r => r.PublishPerSecond):N0} | {Median(list, r => r.DrainPerSecond):N0} | {Median(list, r => r.P50):F2} / {Median(list, r => r.P99):F2} ms | {Median(list, r => r.PeakRssMiB):F0} MiB | {Median(list, r => r.WorkerCpuMicros):F0} µs | {Median(list, r => r.RedisCpuMicros):F0} µs | {Median(list, r => r.PublishCommands):F2} + {Median(list, r => r.DrainCommands):F2} |"));
}

if (arguments.Python)
{
    Console.WriteLine();
    var ours = rounds[contenders[0].Name];
    foreach (var python in contenders.Skip(1))
    {
        var theirs = rounds[python.Name];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"celeriac vs {python.Name}: publish x{Median(ours, r => r.PublishPerSecond) / Median(theirs, r => r.PublishPerSecond):F1}, drain x{Median(ours, r => r.DrainPerSecond) / Median(theirs, r => r.DrainPerSecond):F1}, round trip p50 x{Median(theirs, r => r.P50) / Median(ours, r => r.P50):F1} faster, worker CPU per task x{Median(theirs, r => r.WorkerCpuMicros) / Median(ours, r => r.WorkerCpuMicros):F1} less"));
    }
}

foreach (var contender in contenders)
{
    await contender.DisposeAsync();
}

return 0;

static async Task<RoundResult> RunRoundAsync(IContender contender, BenchArgs arguments, RedisProbe probe)
{
    var n = arguments.Tasks;
    await probe.FlushAsync();
    var before = await probe.CommandStatsAsync();
    var publishSeconds = await contender.PublishAsync(n);
    var published = await probe.CommandStatsAsync();

    await using var worker = contender.StartWorker();
    var patience = Stopwatch.StartNew();

    // CPU per task is counted from the first stored result on, so that start-up (JIT, imports) stays out.
    (long Count, double Worker, double Redis)? firstSeen = null;
    long count;
    while ((count = await probe.ResultCountAsync(1)) < n)
    {
        if (count > 0 && firstSeen is null)
        {
            firstSeen = (count, worker.CpuSeconds(), await probe.CpuSecondsAsync());
        }

        if (worker.HasExited || patience.Elapsed > TimeSpan.FromSeconds(60 + (n / 100)))
        {
            throw new InvalidOperationException($"{contender.Name}: the worker stopped or stalled before storing {n} results:\n{worker.Output}");
        }

        await Task.Delay(20);
    }

    var drained = await probe.CommandStatsAsync();
    var (seenCount, seenWorkerCpu, seenRedisCpu) = firstSeen ?? (0, 0, await probe.CpuSecondsAsync());
    var workerCpuMicros = (worker.CpuSeconds() - seenWorkerCpu) * 1e6 / (n - seenCount);
    var redisCpuMicros = (await probe.CpuSecondsAsync() - seenRedisCpu) * 1e6 / (n - seenCount);
    var (success, first, last) = await probe.ReadResultsAsync(1);
    if (success != n)
    {
        throw new InvalidOperationException($"{contender.Name}: {success} of {n} results are SUCCESS");
    }

    var rss = worker.PeakRssMiB();
    var rtts = await contender.RoundTripsAsync(arguments.RoundTrips);
    await worker.StopAsync(TimeSpan.FromSeconds(20));
    rtts.Sort();

    var publishDelta = RedisProbe.Delta(before, published);
    var drainDelta = RedisProbe.Delta(published, drained);
    var breakdown = string.Join(' ', drainDelta.OrderByDescending(kv => kv.Value).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value / (double)n:0.###}")));
    return new RoundResult(
        n / publishSeconds,

        // From the first result stored to the last, so that neither side's start-up time counts.
        (n - 1) / (last - first).TotalSeconds,
        Percentile(rtts, 0.50),
        Percentile(rtts, 0.99),
        rss,
        publishDelta.Values.Sum() / (double)n,
        drainDelta.Values.Sum() / (double)n,
        workerCpuMicros,
        redisCpuMicros,
        breakdown);
}

static double Median(List<RoundResult> list, Func<RoundResult, double> pick) => Percentile([.. list.Select(pick).Order()], 0.5);

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

internal sealed record RoundResult(double PublishPerSecond, double DrainPerSecond, double P50, double P99, double PeakRssMiB, double PublishCommands, double DrainCommands, double WorkerCpuMicros, double RedisCpuMicros, string Breakdown);

internal sealed record BenchArgs(string? Broker, string? Backend, int Tasks, int Concurrency, int Rounds, int RoundTrips, bool Python, double? EtaSeconds = null, string? ClassicLevelsBroker = null)
{
    public static BenchArgs Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var broker = Get("--broker", string.Empty);
        var backend = Get("--backend", string.Empty);
        return new BenchArgs(
            broker.Length == 0 ? null : broker,
            backend.Length == 0 ? null : backend,
            int.Parse(Get("--tasks", "20000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--concurrency", "4"), CultureInfo.InvariantCulture),
            int.Parse(Get("--rounds", "3"), CultureInfo.InvariantCulture),
            int.Parse(Get("--round-trips", "200"), CultureInfo.InvariantCulture),
            !args.Contains("--no-python"),
            Get("--eta", string.Empty) is { Length: > 0 } eta ? double.Parse(eta, CultureInfo.InvariantCulture) : null,
            Get("--classic-levels-broker", string.Empty) is { Length: > 0 } classic ? classic : null);
    }
}
