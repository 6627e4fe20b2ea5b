using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Celeriac.RedisTests;

/// <summary>
/// Two <c>beat</c> processes (samples/Proj) against one redis-server: one leads, the other stands by; the leader is
/// killed (SIGKILL, by PID) and the standby takes over within the lease, every run sent once, none lost or doubled.
/// </summary>
public sealed partial class BeatHighAvailabilityTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const double Lease = 3;

    // What process scheduling, a first run of the acquire path and the log stamp may add to a hand-over: seen 0.9 s on
    // a loaded 2-core machine (stress -c 2).
    private const double SchedulingSlack = 1.5;
    private const string Interval = "add-every-10-seconds";
    private const string Minutely = "multiply-every-minute";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly RedisServer _server;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public BeatHighAvailabilityTests(RedisServer server, Xunit.Abstractions.ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    /// <summary>Empties the server (asynchronously: a blocked thread-pool thread starves StackExchange.Redis's reads).</summary>
    public Task InitializeAsync() => _server.FlushAllAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Killing_the_leading_beat_hands_over_within_the_lease_and_no_run_is_lost_or_doubled()
    {
        var dir = Directory.CreateTempSubdirectory("celeriac-beat-ha-").FullName;
        var env = new Dictionary<string, string>
        {
            // The seed's 10 s entry every second, and a 3 s lease, so the test takes seconds, not minutes.
            ["CELERIAC_BEAT_SCHEDULE__ADD-EVERY-10-SECONDS__SCHEDULE"] = "1",
            ["CELERIAC_BEAT_LEADER_LEASE"] = Lease.ToString(CultureInfo.InvariantCulture),
        };
        string[] args = [ProjDll(), "beat", "-l", "info", "-b", _server.Url(0), "--result-backend", _server.Url(1)];
        var a = PythonProcess.StartProgram("dotnet", dir, env, args);
        await using var disposeA = a;
        Assert.True(await a.WaitForOutputAsync("beat: Acquired the schedule as leader", Wait), a.Output);
        await using var b = PythonProcess.StartProgram("dotnet", dir, env, args);
        Assert.True(await b.WaitForOutputAsync("beat: Standing by", Wait), b.Output);

        Assert.True(await WaitForSendsAsync(a, Interval, 6), a.Output);
        // Local wall time on purpose: it is compared with the beat processes' log stamps, which are local time.
        var killedAt = DateTime.Now;
        await a.DisposeAsync(); // SIGKILL: no release, the lease must lapse
        Assert.True(await b.WaitForOutputAsync("beat: Acquired the schedule as leader", Wait), b.Output);
        Assert.True(await WaitForSendsAsync(b, Interval, 6), b.Output);

        using (var term = System.Diagnostics.Process.Start("kill", ["-TERM", b.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term!.WaitForExitAsync();
        }

        Assert.Equal(0, await b.WaitForExitAsync(Wait));
        Assert.Contains("beat: Shutting down...", b.Output, StringComparison.Ordinal);
        Assert.False(await _server.Db().KeyExistsAsync("celeriac.beat.celeriac.lock"), "a stopped beat gives its lease back");

        // Hand-over: the standby led within the lease of the kill (it wakes 20 ms after the lease it saw lapses), plus
        // scheduling slack. A standby that waited for another full lease would still fail.
        var tookOver = Stamp(LogLine().Matches(b.Output).First(m => m.Groups["msg"].Value.StartsWith("beat: Acquired", StringComparison.Ordinal)));
        Assert.InRange((tookOver - killedAt).TotalSeconds, 0, Lease + SchedulingSlack);

        // Every interval run once: never two much closer than the 1 s interval (log lines are stamped after the run is
        // recorded, so they jitter by a Redis round trip), and no gap longer than the hand-over.
        var sends = Sends(a.Output, Interval).Concat(Sends(b.Output, Interval)).Order().ToList();
        for (var i = 1; i < sends.Count; i++)
        {
            var gap = (sends[i] - sends[i - 1]).TotalSeconds;
            Assert.True(gap >= 0.5, $"two runs {gap:0.000}s apart at {sends[i]:HH:mm:ss.fff}");
            Assert.True(gap <= Lease + 1 + SchedulingSlack, $"a {gap:0.000}s gap at {sends[i]:HH:mm:ss.fff} (killed at {killedAt:HH:mm:ss.fff})");
        }

        // The minute entry: at most once per minute; sent on its minute, or at the take-over when it fell inside it.
        var minutes = Sends(a.Output, Minutely).Concat(Sends(b.Output, Minutely)).Order().ToList();
        Assert.Equal(minutes.Count, minutes.Select(m => m.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture)).Distinct().Count());
        Assert.All(minutes, m => Assert.True(m.Second == 0 || Math.Abs((m - tookOver).TotalSeconds) < 1, $"minute run at {m:HH:mm:ss.fff}"));

        // What is on the broker matches: one message per logged send, each its own task id, the state counts them.
        var messages = (await _server.Db().ListRangeAsync("celery")).Select(v => JsonNode.Parse((string)v!)!["headers"]!).ToList();
        Assert.Equal(sends.Count + minutes.Count, messages.Count);
        Assert.Equal(messages.Count, messages.Select(h => h["id"]!.GetValue<string>()).Distinct().Count());
        var state = JsonNode.Parse((string)(await _server.Db().HashGetAsync("celeriac.beat.celeriac.state", Interval))!)!;
        Assert.Equal(sends.Count, state["total_run_count"]!.GetValue<long>());
        var maxGap = sends.Zip(sends.Skip(1), (x, y) => (y - x).TotalSeconds).Max();
        _output.WriteLine($"hand-over {(tookOver - killedAt).TotalSeconds:0.000}s after the kill (lease {Lease}s); {sends.Count} interval runs, longest gap {maxGap:0.000}s; {minutes.Count} minute runs; {messages.Count} messages, all distinct");
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<bool> WaitForSendsAsync(PythonProcess p, string entry, int count)
    {
        for (var sw = System.Diagnostics.Stopwatch.StartNew(); sw.Elapsed < Wait; await Task.Delay(50))
        {
            if (Sends(p.Output, entry).Count >= count)
            {
                return true;
            }
        }

        return false;
    }

    private static List<DateTime> Sends(string output, string entry) =>
        [.. LogLine().Matches(output).Where(m => m.Groups["msg"].Value.StartsWith("Scheduler: Sending due task " + entry + " ", StringComparison.Ordinal)).Select(Stamp)];

    private static DateTime Stamp(Match m) => DateTime.ParseExact(m.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);

    private static string ProjDll()
    {
        // tests/Celeriac.RedisTests/bin/<Configuration>/net10.0/ -> samples/Proj/bin/<Configuration>/net10.0/Proj.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Celeriac.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, "samples", "Proj", "bin", baseDir.Parent!.Name, baseDir.Name, "Proj.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build samples/Proj first", dll);
    }

    [GeneratedRegex(@"^\[(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/MainProcess\] (?<msg>.*)$", RegexOptions.Multiline)]
    private static partial Regex LogLine();
}
