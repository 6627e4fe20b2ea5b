using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Celeriac.Dashboard;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>dashboard</c> (alias <c>flower</c>): serve the dashboard until SIGTERM or Ctrl+C. Flower's flags where they
/// exist (<c>--address</c>, <c>--port</c>, <c>--basic-auth</c>, <c>--db</c>, <c>--max-tasks</c>, <c>--url-prefix</c>,
/// <c>--enable-events</c>). Secrets may come from the environment instead of the command line:
/// <c>CELERIAC_DASHBOARD_BASIC_AUTH</c>, <c>CELERIAC_DASHBOARD_AUTH_TOKEN</c> and their <c>_READ_ONLY_</c> forms.
/// Source of flags: flower/options.py.
/// </summary>
internal static class DashboardCommand
{
    public const string EnvironmentPrefix = "CELERIAC_DASHBOARD_";

    public static Command Create(CeleriacApp? app)
    {
        var defaults = new DashboardOptions();
        var address = new Option<string>("--address") { Description = "Address to listen on; anything but loopback needs accounts or --insecure", DefaultValueFactory = _ => defaults.Address };
        var port = new Option<int>("--port") { Description = "Port to listen on", DefaultValueFactory = _ => defaults.Port };
        var basicAuth = new Option<string[]>("--basic-auth") { Description = "Operator accounts: user:password[,user:password] (env CELERIAC_DASHBOARD_BASIC_AUTH)", AllowMultipleArgumentsPerToken = false };
        var readOnlyAuth = new Option<string[]>("--read-only-basic-auth") { Description = "Read-only accounts: user:password[,...] (env CELERIAC_DASHBOARD_READ_ONLY_BASIC_AUTH)" };
        var token = new Option<string[]>("--auth-token") { Description = "Operator bearer tokens, 16+ characters, comma-separated (env CELERIAC_DASHBOARD_AUTH_TOKEN)" };
        var readOnlyToken = new Option<string[]>("--read-only-auth-token") { Description = "Read-only bearer tokens (env CELERIAC_DASHBOARD_READ_ONLY_AUTH_TOKEN)" };
        var readOnly = new Option<bool>("--read-only") { Description = "Nobody may act: no revoke, retry, shutdown or task sending" };
        var insecure = new Option<bool>("--insecure") { Description = "Serve without accounts on a non-loopback address (anyone who reaches it may act)" };
        var db = new Option<string>("--db") { Description = "SQLite file keeping the task history across restarts", DefaultValueFactory = _ => defaults.HistoryPath };
        var maxTasks = new Option<int>("--max-tasks") { Description = "Tasks kept in the history (the oldest are pruned)", DefaultValueFactory = _ => defaults.MaxTasks };
        var maxAge = new Option<string>("--max-age") { Description = "Tasks older than this are pruned: 7d, 12h, 30m, 3600s", DefaultValueFactory = _ => "7d" };
        var urlPrefix = new Option<string>("--url-prefix") { Description = "Path to serve under behind a proxy, e.g. /flower", DefaultValueFactory = _ => string.Empty };
        var enableEvents = new Option<bool>("--enable-events") { Description = "Ask workers to send task events every minute (true/false)", DefaultValueFactory = _ => true, Arity = ArgumentArity.ZeroOrOne };
        var queues = new Option<string?>("--queues", "-Q") { Description = "Comma-separated queues to show besides the default one and those workers consume" };
        // The Beat page reads the store `beat` writes: Redis on a Redis broker, else this file (as `beat -s`).
        var beatSchedule = BeatCommand.ScheduleOption();
        var command = new Command("dashboard", "Serve the dashboard: workers, tasks, queues and beat in the browser, Flower's REST API, /metrics")
        {
            address, port, basicAuth, readOnlyAuth, token, readOnlyToken, readOnly, insecure, db, maxTasks, maxAge, urlPrefix, enableEvents, queues, beatSchedule,
        };
        command.Aliases.Add("flower");
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var accounts = new List<DashboardAccount>();
            foreach (var (option, env, role, users) in new[]
            {
                (basicAuth, "BASIC_AUTH", DashboardRole.Operator, true),
                (readOnlyAuth, "READ_ONLY_BASIC_AUTH", DashboardRole.ReadOnly, true),
                (token, "AUTH_TOKEN", DashboardRole.Operator, false),
                (readOnlyToken, "READ_ONLY_AUTH_TOKEN", DashboardRole.ReadOnly, false),
            })
            {
                var values = (parse.GetValue(option) ?? []).ToList();
                if (Environment.GetEnvironmentVariable(EnvironmentPrefix + env) is { Length: > 0 } fromEnv)
                {
                    values.Add(fromEnv);
                }

                foreach (var value in values)
                {
                    accounts.AddRange(users ? DashboardAccount.ParseUsers(option.Name, value, role) : DashboardAccount.ParseTokens(option.Name, value, role));
                }
            }

            var options = defaults with
            {
                Address = parse.GetValue(address)!,
                Port = parse.GetValue(port),
                Accounts = accounts,
                ReadOnly = parse.GetValue(readOnly),
                Insecure = parse.GetValue(insecure),
                HistoryPath = parse.GetValue(db)!,
                MaxTasks = parse.GetValue(maxTasks),
                MaxAge = ParseAge(parse.GetValue(maxAge)!),
                UrlPrefix = parse.GetValue(urlPrefix)!,
                EnableEvents = parse.GetValue(enableEvents),
                Queues = parse.GetValue(queues) is { } q ? [.. q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : [],
            };

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            var beat = new Celeriac.Dashboard.Beat.AppBeatScheduleSource(app, BeatCommand.Options(app, parse.GetValue(beatSchedule)).ScheduleFilename);
            await using var disposeBeat = beat.ConfigureAwait(false);
            var server = await DashboardServer.StartAsync(app, options, beat, cancellationToken).ConfigureAwait(false);
            await using var disposeServer = server.ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"Celeriac dashboard on {server.Url} watching {app.BrokerOptionsUrl.Redacted}").ConfigureAwait(false);
            await output.WriteLineAsync($"History: {Path.GetFullPath(options.HistoryPath)} (up to {options.MaxTasks:N0} tasks, {options.MaxAge.TotalDays:0.##} days)").ConfigureAwait(false);
            await output.WriteLineAsync(accounts.Count > 0
                ? $"Authentication: {accounts.Count} account(s){(options.ReadOnly ? ", read-only" : string.Empty)}"
                : options.Insecure ? "Authentication: none (--insecure)" : "Authentication: none (loopback only)").ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>7d</c>, <c>12h</c>, <c>30m</c>, <c>3600s</c>, plain seconds, or a TimeSpan (<c>7.00:00:00</c>).</summary>
    /// <exception cref="CeleriacConfigurationException">None of those.</exception>
    public static TimeSpan ParseAge(string text)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (char.ToLowerInvariant(t[^1]))
            {
                case 'd': return TimeSpan.FromDays(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 's': return TimeSpan.FromSeconds(n);
            }
        }

        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return span;
        }

        throw new CeleriacConfigurationException("--max-age", $"'{text}' is not a duration: use 7d, 12h, 30m or 3600s");
    }
}
