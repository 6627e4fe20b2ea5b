using Celeriac.Beat;
using Celeriac.Schedules;

namespace Celeriac.Tests.Beat;

public sealed class BeatServiceTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 12, 0, 0, 500, TimeSpan.Zero);

    [Fact]
    public async Task An_interval_entry_first_runs_one_interval_after_start_then_every_interval()
    {
        var t = new BeatTestApp(Start);
        await using var app = t.NewApp();
        app.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "q", 2, 3), TimeSpan.FromSeconds(10));
        await using var beat = new BeatService(app, t.Store);

        Assert.Equal(TimeSpan.FromSeconds(10), await beat.TickAsync());
        Assert.True(beat.IsLeader);
        Assert.Equal(0, await BeatTestApp.CountAsync(app, "q"));

        t.Time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.Equal(TimeSpan.FromMilliseconds(1), await beat.TickAsync());
        Assert.Equal(0, await BeatTestApp.CountAsync(app, "q"));

        t.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TimeSpan.FromSeconds(10), await beat.TickAsync());
        Assert.Equal(1, await BeatTestApp.CountAsync(app, "q"));

        var entry = Assert.Single(beat.Entries);
        Assert.Equal(1, entry.TotalRunCount);
        Assert.Equal(Start.AddSeconds(10), entry.LastRunAt);
        Assert.Equal(Start.AddSeconds(20), entry.NextRunAt);
    }

    [Fact]
    public async Task A_crontab_entry_runs_on_each_matching_minute_in_the_apps_zone()
    {
        // 12:00:00.5 UTC is 20:00:00.5 in Shanghai: "0 21 * * *" runs at 13:00 UTC.
        var t = new BeatTestApp(Start, "Asia/Shanghai");
        await using var app = t.NewApp();
        app.Beat.Add("nine-pm", BeatTestApp.Send("proj.report", "q"), Crontab.Parse("0 21 * * *"));
        await using var beat = new BeatService(app, t.Store);
        var delay = await beat.TickAsync();
        Assert.Equal(TimeSpan.FromSeconds(10), delay); // the lease is renewed every third of beat_leader_lease (30 s)
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 21, 0, 0, TimeSpan.FromHours(8)), beat.Entries[0].NextRunAt);

        // Tick as RunAsync does: sleep what each tick returns.
        await RunUntilAsync(t, beat, new DateTimeOffset(2026, 6, 1, 12, 59, 59, TimeSpan.Zero));
        Assert.Equal(0, await BeatTestApp.CountAsync(app, "q"));
        await RunUntilAsync(t, beat, new DateTimeOffset(2026, 6, 1, 13, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await BeatTestApp.CountAsync(app, "q"));
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 13, 0, 0, TimeSpan.Zero), beat.Entries[0].LastRunAt);
        Assert.Equal(new DateTimeOffset(2026, 6, 2, 21, 0, 0, TimeSpan.FromHours(8)), beat.Entries[0].NextRunAt);
    }

    [Fact]
    public async Task An_entry_added_in_code_with_a_task_signature_is_sent_and_run_by_a_worker()
    {
        var t = new BeatTestApp(new DateTimeOffset(2026, 6, 1, 12, 0, 30, TimeSpan.Zero));
        await using var app = new CeleriacApp(
            new CeleriacOptions { BrokerUrl = "memory://" + t.Broker, ResultBackend = "memory://" + t.Broker },
            new CeleriacServices { TimeProvider = t.Time });
        var add = app.Task<int>("proj.add", (int x, int y) => x + y);
        app.Beat.Add("add-every-minute", add.Signature(10, 20), Crontab.Parse("*/1 * * * *"));
        await using var beat = new BeatService(app, t.Store);
        var sent = new List<BeatSentEventArgs>();
        beat.Sent += (_, e) => sent.Add(e);
        await using var worker = await app.StartWorkerAsync();

        await RunUntilAsync(t, beat, new DateTimeOffset(2026, 6, 1, 12, 1, 0, TimeSpan.Zero));
        var entry = Assert.Single(beat.Entries);
        Assert.Equal(1, entry.TotalRunCount);
        var e = Assert.Single(sent);
        Assert.Equal(("add-every-minute", "proj.add", new DateTimeOffset(2026, 6, 1, 12, 1, 0, TimeSpan.Zero)), (e.Name, e.Task, e.SentAt));
        Assert.Equal(30, await app.AsyncResult(e.TaskId).GetAsync<int>(TestApp.Timeout));
    }

    [Fact]
    public async Task An_entrys_own_timezone_wins_over_the_apps()
    {
        // App in UTC; the entry runs at 09:00 Berlin wall time (summer: 07:00 UTC), the other at 09:00 UTC.
        var t = new BeatTestApp(new DateTimeOffset(2026, 6, 1, 6, 0, 0, TimeSpan.Zero));
        await using var app = t.NewApp();
        app.Beat.Add("berlin", BeatTestApp.Send("proj.a", "berlin"), Crontab.Parse("0 9 * * *"), timeZone: TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        app.Beat.Add("utc", BeatTestApp.Send("proj.b", "utc"), Crontab.Parse("0 9 * * *"));
        await using var beat = new BeatService(app, t.Store);
        await beat.TickAsync();
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)), beat.Entries[0].NextRunAt);
        Assert.Equal(TimeSpan.FromHours(2), beat.Entries[0].NextRunAt!.Value.Offset);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero), beat.Entries[1].NextRunAt);

        await RunUntilAsync(t, beat, new DateTimeOffset(2026, 6, 1, 7, 0, 0, TimeSpan.Zero));
        Assert.Equal((1L, 0L), (await BeatTestApp.CountAsync(app, "berlin"), await BeatTestApp.CountAsync(app, "utc")));
        await RunUntilAsync(t, beat, new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
        Assert.Equal((1L, 1L), (await BeatTestApp.CountAsync(app, "berlin"), await BeatTestApp.CountAsync(app, "utc")));
    }

    [Fact]
    public async Task RunAsync_sleeps_on_the_clock_until_an_entry_is_due()
    {
        var t = new BeatTestApp(Start);
        await using var app = t.NewApp();
        app.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "q"), TimeSpan.FromSeconds(10));
        await using var beat = new BeatService(app, t.Store);
        using var stop = new CancellationTokenSource();
        var run = beat.RunAsync(stop.Token);
        await TestApp.WaitUntilAsync(() => beat.IsLeader && t.Time.GetUtcNow() == Start, "the beat to lead");

        for (var i = 1; i <= 3; i++)
        {
            await t.Time.WaitForTimerAsync("BeatService", TimeSpan.FromSeconds(10));
            t.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(50); // let a wrongly early send show up before asserting
            Assert.Equal(i - 1, await BeatTestApp.CountAsync(app, "q"));
            t.Time.Advance(TimeSpan.FromSeconds(5));
            var expected = i;
            await TestApp.WaitUntilAsync(() => BeatTestApp.CountAsync(app, "q").GetAwaiter().GetResult() == expected, $"send {i}");
        }

        await stop.CancelAsync();
        await run.WaitAsync(TestApp.Timeout);
        Assert.False(beat.IsLeader);
        Assert.Null((await t.Store.LoadAsync()).Leader);
    }

    [Fact]
    public async Task Two_beats_for_ten_minutes_send_each_run_once_and_the_standby_takes_over_within_the_lease_when_the_leader_dies()
    {
        var t = new BeatTestApp(Start, "America/New_York");
        var lease = TimeSpan.FromSeconds(30);
        await using var appA = t.NewApp(b => b with { LeaderLease = lease });
        await using var appB = t.NewApp(b => b with { LeaderLease = lease });
        foreach (var app in new[] { appA, appB })
        {
            app.Beat.Add("every-minute", BeatTestApp.Send("proj.mul", "minutely", 4, 4), Crontab.Parse("*/1 * * * *"));
            app.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "tensecond", 16, 16), TimeSpan.FromSeconds(10));
        }

        await using var a = new BeatService(appA, t.Store, "beat-a");
        await using var b = new BeatService(appB, t.Store, "beat-b");
        var minutely = new List<DateTimeOffset>();
        var tensecond = new List<DateTimeOffset>();
        var aAlive = true;
        DateTimeOffset? died = null, tookOver = null;
        for (var second = 0; second < 600; second++)
        {
            if (second == 200)
            {
                // The leader dies: it stops without giving the lease back.
                aAlive = false;
                died = t.Time.GetUtcNow();
            }

            if (aAlive)
            {
                await a.TickAsync();
            }

            await b.TickAsync();
            if (b.IsLeader && tookOver is null)
            {
                tookOver = t.Time.GetUtcNow();
            }

            Assert.False(aAlive && a.IsLeader && b.IsLeader, "two leaders at once");
            await Record(appA, "minutely", minutely);
            await Record(appA, "tensecond", tensecond);
            t.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(a.IsLeader || !aAlive);
        Assert.NotNull(tookOver);
        Assert.InRange(tookOver!.Value - died!.Value, TimeSpan.Zero, lease);

        // Every minute boundary in the run (12:01 ... 12:09) was sent once: on time, or at the take-over when it fell in it.
        var boundaries = Enumerable.Range(1, 9).Select(m => new DateTimeOffset(2026, 6, 1, 12, m, 0, TimeSpan.Zero)).ToList();
        Assert.Equal(boundaries.Count, minutely.Count);
        for (var i = 0; i < boundaries.Count; i++)
        {
            var late = minutely[i] - boundaries[i];
            Assert.True(late >= TimeSpan.Zero && (late < TimeSpan.FromSeconds(1) || minutely[i] == tookOver), $"minute {boundaries[i]:HH:mm} sent at {minutely[i]:HH:mm:ss.fff}");
        }

        // The interval runs every 10 s: never two within less, and the gap is at most the take-over.
        for (var i = 1; i < tensecond.Count; i++)
        {
            var gap = tensecond[i] - tensecond[i - 1];
            Assert.True(gap >= TimeSpan.FromSeconds(10), $"interval runs {gap} apart at {tensecond[i]:HH:mm:ss}");
            Assert.True(gap <= TimeSpan.FromSeconds(11) || tensecond[i] == tookOver, $"interval gap {gap} at {tensecond[i]:HH:mm:ss}");
        }

        Assert.InRange(tensecond.Count, 55, 60);
        var state = (await t.Store.LoadAsync()).Entries;
        Assert.Equal(minutely.Count, state["every-minute"].TotalRunCount);
        Assert.Equal(tensecond.Count, state["every-10s"].TotalRunCount);

        async Task Record(CeleriacApp app, string queue, List<DateTimeOffset> times)
        {
            var n = await BeatTestApp.CountAsync(app, queue);
            for (var i = times.Count; i < n; i++)
            {
                times.Add(t.Time.GetUtcNow());
            }

            Assert.Equal(n, times.Count);
        }
    }

    [Fact]
    public async Task A_paused_leader_whose_lease_was_taken_over_is_fenced_and_sends_nothing()
    {
        var t = new BeatTestApp(Start);
        await using var appA = t.NewApp(b => b with { LeaderLease = TimeSpan.FromSeconds(30) });
        await using var appB = t.NewApp(b => b with { LeaderLease = TimeSpan.FromSeconds(30) });
        foreach (var app in new[] { appA, appB })
        {
            app.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "q"), TimeSpan.FromSeconds(10));
        }

        await using var a = new BeatService(appA, t.Store, "beat-a");
        await using var b = new BeatService(appB, t.Store, "beat-b");
        await a.TickAsync();
        await b.TickAsync();
        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);

        // A pauses (GC, VM freeze) for longer than its lease; B takes over and sends the overdue run.
        t.Time.Advance(TimeSpan.FromSeconds(45));
        await b.TickAsync();
        Assert.True(b.IsLeader);
        Assert.Equal(1, await BeatTestApp.CountAsync(appA, "q"));

        // A wakes up still believing it leads: its renewal and its writes are refused, so it sends nothing.
        await a.TickAsync();
        Assert.False(a.IsLeader);
        Assert.Equal(1, await BeatTestApp.CountAsync(appA, "q"));
        Assert.Equal(2, (await t.Store.LoadAsync()).Leader!.FencingToken);
    }

    [Fact]
    public async Task After_a_restart_a_missed_run_is_sent_once_or_skipped_as_the_entry_says()
    {
        var t = new BeatTestApp(Start);
        var dir = Directory.CreateTempSubdirectory("celeriac-beat-");
        try
        {
            var file = Path.Combine(dir.FullName, "celerybeat-schedule.json");
            await using (var app = t.NewApp(b => b with { ScheduleFilename = file }, fileStore: true))
            {
                app.Beat.Add("hourly-once", BeatTestApp.Send("proj.a", "once"), Crontab.Parse("0 * * * *"));
                app.Beat.Add("hourly-skip", BeatTestApp.Send("proj.b", "skip"), Crontab.Parse("0 * * * *"), MissedRunPolicy.Skip);
                await using var beat = new BeatService(app);
                Assert.IsType<FileBeatStore>(beat.Store);
                await beat.TickAsync();
                await beat.RunAsync(new CancellationToken(canceled: true));
            }

            // Beat was down from 12:00 until 15:30: three runs of each entry were missed.
            t.Time.Advance(TimeSpan.FromHours(3.5));
            await using (var app = t.NewApp(b => b with { ScheduleFilename = file }, fileStore: true))
            {
                app.Beat.Add("hourly-once", BeatTestApp.Send("proj.a", "once"), Crontab.Parse("0 * * * *"));
                app.Beat.Add("hourly-skip", BeatTestApp.Send("proj.b", "skip"), Crontab.Parse("0 * * * *"), MissedRunPolicy.Skip);
                await using var beat = new BeatService(app);
                await beat.TickAsync();
                Assert.Equal(1, await BeatTestApp.CountAsync(app, "once"));
                Assert.Equal(0, await BeatTestApp.CountAsync(app, "skip"));
                await beat.TickAsync();
                Assert.Equal(1, await BeatTestApp.CountAsync(app, "once"));

                t.Time.Advance(TimeSpan.FromMinutes(30));
                await beat.TickAsync();
                Assert.Equal(2, await BeatTestApp.CountAsync(app, "once"));
                Assert.Equal(1, await BeatTestApp.CountAsync(app, "skip"));
                var status = await app.Beat.GetStatusAsync();
                Assert.Equal([2L, 1L], status.Select(s => s.TotalRunCount));
                Assert.All(status, s => Assert.Equal(new DateTimeOffset(2026, 6, 1, 17, 0, 0, TimeSpan.Zero), s.NextRunAt));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Two_beats_on_one_schedule_file_never_both_lead()
    {
        var t = new BeatTestApp(Start);
        var dir = Directory.CreateTempSubdirectory("celeriac-beat-");
        try
        {
            var file = Path.Combine(dir.FullName, "schedule.json");
            await using var appA = t.NewApp(b => b with { ScheduleFilename = file });
            await using var appB = t.NewApp(b => b with { ScheduleFilename = file });
            await using var a = new BeatService(appA, new FileBeatStore(file), "a");
            await using var b = new BeatService(appB, new FileBeatStore(file), "b");
            await a.TickAsync();
            await b.TickAsync();
            Assert.True(a.IsLeader);
            Assert.False(b.IsLeader);

            await a.RunAsync(new CancellationToken(canceled: true));
            t.Time.Advance(b.StandbyPoll);
            await b.TickAsync();
            Assert.True(b.IsLeader);
            Assert.Equal(2, b.Lease!.FencingToken);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_changed_timezone_resets_the_stored_schedule_as_celery_does()
    {
        var t = new BeatTestApp(Start);
        await using (var app = t.NewApp())
        {
            app.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "q"), TimeSpan.FromSeconds(10));
            await using var beat = new BeatService(app, t.Store);
            await beat.TickAsync();
            t.Time.Advance(TimeSpan.FromSeconds(10));
            await beat.TickAsync();
            await beat.RunAsync(new CancellationToken(canceled: true));
        }

        var other = new CeleriacApp(new CeleriacOptions { BrokerUrl = "memory://" + t.Broker, Timezone = "Europe/Berlin" }, new CeleriacServices { TimeProvider = t.Time });
        await using (other)
        {
            other.Beat.Add("every-10s", BeatTestApp.Send("proj.add", "q"), TimeSpan.FromSeconds(10));
            await using var beat = new BeatService(other, t.Store);
            await beat.TickAsync();
            var entry = Assert.Single(beat.Entries);
            Assert.Equal(0, entry.TotalRunCount);
            Assert.Equal(t.Time.GetUtcNow(), entry.LastRunAt);
        }
    }

    private static async Task RunUntilAsync(BeatTestApp t, BeatService beat, DateTimeOffset until)
    {
        while (true)
        {
            var delay = await beat.TickAsync();
            var now = t.Time.GetUtcNow();
            if (now + delay > until)
            {
                t.Time.Advance(until - now);
                await beat.TickAsync();
                return;
            }

            t.Time.Advance(delay);
        }
    }
}
