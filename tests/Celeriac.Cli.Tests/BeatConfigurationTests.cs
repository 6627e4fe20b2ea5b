using System.Text.Json.Nodes;
using Celeriac.Schedules;

namespace Celeriac.Cli.Tests;

/// <summary><c>beat_schedule</c> read from a settings file with Celery's keys, and bad entries stopping the start with a message naming them.</summary>
public sealed class BeatConfigurationTests
{
    [Fact]
    public void Entries_bind_with_celerys_keys_and_schedule_forms()
    {
        var app = App("""
        "timezone": "Asia/Shanghai",
        "beat_schedule": {
          "add-every-10-seconds": {"task": "proj.tasks.add", "schedule": 10, "args": [16, 16]},
          "every-minute": {"task": "proj.tasks.mul", "schedule": "crontab(minute='*/1')", "args": [4, 4],
                           "options": {"queue": "beat", "expires": 30, "priority": 5}},
          "weekday-mornings": {"task": "proj.report", "schedule": {"minute": 30, "hour": "7", "day_of_week": "mon-fri"},
                               "kwargs": {"to": "ops", "verbose": true, "pages": 2.5}, "timezone": "Europe/Berlin", "missed_run_policy": "skip"},
          "timedelta": {"task": "proj.t", "schedule": "timedelta(minutes=1, seconds=30)", "relative": true},
          "cron-line": {"task": "proj.c", "schedule": "0 4 1 * *", "args": "[\"16\", 16, null]"}
        },
        "beat_leader_lease": 12, "beat_missed_run_policy": "run_once", "beat_schedule_filename": "/tmp/x.json"
        """);
        var beat = app.Options.Beat;
        // Configuration hands keys over sorted by name.
        Assert.Equal(["add-every-10-seconds", "cron-line", "every-minute", "timedelta", "weekday-mornings"], app.Beat.Entries.Select(e => e.Name));
        Assert.Equal((TimeSpan.FromSeconds(12), "/tmp/x.json"), (beat.LeaderLease, beat.ScheduleFilename));

        var add = app.Beat.Find("add-every-10-seconds")!;
        Assert.Equal(new IntervalSchedule(TimeSpan.FromSeconds(10)), add.Schedule);
        Assert.Equal("[16,16]", add.Signature.Args.ToJsonString());

        var minute = app.Beat.Find("every-minute")!;
        Assert.Equal(new Crontab(minute: "*/1"), minute.Schedule);
        Assert.Equal("""{"expires":30,"priority":5,"queue":"beat"}""", Sorted(minute.Signature.Options));

        var mornings = app.Beat.Find("weekday-mornings")!;
        var cron = Assert.IsType<Crontab>(mornings.Schedule);
        Assert.Equal([30], cron.Minutes);
        Assert.Equal([7], cron.Hours);
        Assert.Equal([1, 2, 3, 4, 5], cron.DaysOfWeek);
        Assert.Equal("Europe/Berlin", mornings.TimeZone!.Id);
        Assert.Equal(MissedRunPolicy.Skip, mornings.MissedRunPolicy);
        Assert.Equal("""{"pages":2.5,"to":"ops","verbose":true}""", Sorted(mornings.Signature.Kwargs));

        Assert.Equal(new IntervalSchedule(TimeSpan.FromSeconds(90), relative: true), app.Beat.Find("timedelta")!.Schedule);
        var line = app.Beat.Find("cron-line")!;
        Assert.Equal(Crontab.Parse("0 4 1 * *"), line.Schedule);
        Assert.Equal("""["16",16,null]""", line.Signature.Args.ToJsonString());
    }

    [Theory]
    [InlineData("""{"task": "t", "schedule": "crontab(minute='*/0')"}""", "beat_schedule.bad.schedule: crontab field minute='*/0'")]
    [InlineData("""{"task": "t", "schedule": "crontab(minute='61')"}""", "beat_schedule.bad.schedule: crontab field minute='61': invalid end range: 61 > 59")]
    [InlineData("""{"task": "t", "schedule": "crontab(day_of_week='7')"}""", "beat_schedule.bad.schedule: crontab field day_of_week='7': invalid end range: 7 > 6")]
    [InlineData("""{"task": "t", "schedule": "crontab(day_of_week='funday')"}""", "beat_schedule.bad.schedule: crontab field day_of_week='funday': invalid weekday literal")]
    [InlineData("""{"task": "t", "schedule": "crontab(hour='1-')"}""", "beat_schedule.bad.schedule: crontab field hour='1-'")]
    [InlineData("""{"task": "t", "schedule": "crontab(minutes='5')"}""", "beat_schedule.bad.schedule: crontab has no field 'minutes'")]
    [InlineData("""{"task": "t", "schedule": "crontab(day_of_month='30', month_of_year='2')"}""", "beat_schedule.bad.schedule: crontab fields day_of_month='30' and month_of_year='2': no such day ever exists")]
    [InlineData("""{"task": "t", "schedule": "every now and then"}""", "beat_schedule.bad.schedule: 'every now and then' is not a schedule")]
    [InlineData("""{"task": "t", "schedule": -5}""", "beat_schedule.bad.schedule: '-5': an interval must be a positive number of seconds")]
    [InlineData("""{"task": "t", "schedule": "solar('sunset', -37.81, 144.96)"}""", "beat_schedule.bad.schedule: 'solar('sunset', -37.81, 144.96)': solar schedules are not supported")]
    [InlineData("""{"task": "t", "schedule": {"minute": "*/5", "hour": "25"}}""", "beat_schedule.bad.schedule: crontab field hour='25'")]
    [InlineData("""{"task": "t"}""", "beat_schedule.bad.schedule: every entry needs a schedule")]
    [InlineData("""{"schedule": 10}""", "beat_schedule.bad.task: every entry needs the name of the task")]
    [InlineData("""{"task": "t", "schedule": 10, "timezone": "Mars/Olympus"}""", "beat_schedule.bad.timezone: 'Mars/Olympus' is not a known IANA time zone")]
    [InlineData("""{"task": "t", "schedule": 10, "sched": 1}""", "beat_schedule.bad.sched: unknown entry key")]
    [InlineData("""{"task": "t", "schedule": 10, "missed_run_policy": "catch_up"}""", "beat_schedule.bad.missed_run_policy: 'catch_up' is not a missed-run policy")]
    [InlineData("""{"task": "t", "schedule": 10, "args": "[1, 2"}""", "beat_schedule.bad.args: '[1, 2' is not valid JSON")]
    public async Task A_bad_entry_stops_the_start_naming_the_entry_and_the_field(string entry, string message)
    {
        var file = await WriteAsync("\"beat_schedule\": {\"bad\": " + entry + "}");
        var run = await Cli.RunAsync(["--config", file, "beat"]);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.Contains("Error: " + message, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_app_timezone_stops_beat_naming_the_key()
    {
        var file = await WriteAsync("\"timezone\": \"Asia/Atlantis\", \"beat_schedule\": {\"ok\": {\"task\": \"t\", \"schedule\": 10}}");
        var run = await Cli.RunAsync(["--config", file, "beat"]);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.Contains("Error: timezone: 'Asia/Atlantis' is not a known IANA time zone", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beat_and_worker_dash_B_are_on_the_command_line()
    {
        var beat = await Cli.RunAsync(["beat", "--help"]);
        Assert.Contains("-s, --schedule", beat.Out, StringComparison.Ordinal);
        Assert.Contains("--max-interval", beat.Out, StringComparison.Ordinal);
        var worker = await Cli.RunAsync(["worker", "--help"]);
        Assert.Contains("-B, --beat", worker.Out, StringComparison.Ordinal);
    }

    private static CeleriacApp App(string settings) => CeleriacCli.CreateApp(["--config", WriteAsync(settings).GetAwaiter().GetResult()]);

    private static async Task<string> WriteAsync(string settings)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "{\"Celeriac\": {\"broker_url\": \"memory://beatcfg" + Guid.NewGuid().ToString("N") + "\", " + settings + "}}");
        return file;
    }

    private static string Sorted(JsonObject o) => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();
}
