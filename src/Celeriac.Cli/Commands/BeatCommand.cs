using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Celeriac.Beat;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>beat</c>: send the app's periodic tasks (<c>beat_schedule</c> and entries added in code) until SIGTERM or Ctrl+C.
/// Several may run: one leads, the others stand by. Source of flags: celery/bin/beat.py.
/// </summary>
internal static class BeatCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var schedule = ScheduleOption();
        var maxInterval = new Option<double?>("--max-interval") { Description = "Longest sleep between looks at the schedule, in seconds (beat_max_loop_interval, default 300)" };
        var command = new Command("beat", "Start beat, the periodic task scheduler") { schedule, maxInterval };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var options = Options(app, parse.GetValue(schedule));
            if (parse.GetValue(maxInterval) is { } seconds)
            {
                options = options with { MaxLoopInterval = seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new CommandException("--max-interval must be positive", ExitCodes.Usage) };
            }

            var beat = new BeatService(app, options: options);
            await using var disposeBeat = beat.ConfigureAwait(false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            await parse.InvocationConfiguration.Output.WriteLineAsync(Banner(app, beat, parse.GetValue(CliOptions.LogLevel))).ConfigureAwait(false);
            await beat.RunAsync(stop.Token).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The <c>-s</c> option, shared with <c>worker -B</c>.</summary>
    public static Option<string?> ScheduleOption() => new("--schedule", "-s")
    {
        Description = "Beat's state file when the broker keeps no beat state (beat_schedule_filename, default celerybeat-schedule.json)",
    };

    /// <summary>The app's beat settings with <c>-s</c> applied.</summary>
    public static BeatOptions Options(CeleriacApp app, string? scheduleFile) =>
        scheduleFile is null ? app.Options.Beat : app.Options.Beat with { ScheduleFilename = scheduleFile };

    private static string Banner(CeleriacApp app, BeatService beat, string? level)
    {
        var max = beat.Options.MaxLoopInterval;
        var version = typeof(BeatService).Assembly.GetName().Version?.ToString(3);
        var local = DateTime.SpecifyKind(app.TimeProvider.GetLocalNow().DateTime, DateTimeKind.Unspecified);
        return string.Create(CultureInfo.InvariantCulture, $"""
            celeriac beat v{version} is starting.
            __    -    ... __   -        _
            LocalTime -> {local:yyyy-MM-dd HH:mm:ss}
            Configuration ->
                . broker -> {app.BrokerOptionsUrl.Redacted}
                . app -> {app.Options.Name} ({app.Beat.Entries.Count} entries, timezone {app.Options.Timezone})
                . scheduler -> {typeof(BeatService).FullName}
                . db -> {beat.Store.Description}
                . logfile -> [stderr]@%{(level ?? "WARNING").ToUpperInvariant()}
                . maxinterval -> {max.TotalMinutes:0.00} minutes ({max.TotalSeconds:0}s)
                . leader lease -> {beat.Options.LeaderLease.TotalSeconds:0}s
            """);
    }
}
