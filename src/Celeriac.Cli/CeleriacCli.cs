using System.CommandLine;
using System.Runtime.CompilerServices;
using Celeriac.Cli.Commands;
using Microsoft.Extensions.Logging;

namespace Celeriac.Cli;

/// <summary>
/// Celeriac's command line, used from your own program:
/// <code>
/// var app = CeleriacCli.CreateApp(args);
/// app.RegisterTasks(typeof(Program).Assembly);
/// return await app.RunAsync(args);
/// </code>
/// Commands: <c>worker</c>, <c>call</c>, <c>result</c>, <c>purge</c>, <c>status</c>, <c>inspect</c>, <c>control</c>, <c>events</c>, <c>beat</c>, <c>dashboard</c>.
/// </summary>
public static class CeleriacCli
{
    private static readonly ConditionalWeakTable<CeleriacApp, ILoggerFactory> OwnedLoggers = [];

    /// <summary>
    /// Builds the app: <paramref name="configure"/> gives defaults in code; <c>appsettings.json</c>, <c>--config</c>,
    /// <c>CELERIAC_*</c> environment variables and <c>-b</c>/<c>--result-backend</c> override them in that order.
    /// </summary>
    /// <exception cref="CeleriacConfigurationException">A setting is invalid; the message names it.</exception>
    public static CeleriacApp CreateApp(string[] args, Func<CeleriacOptions, CeleriacOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parse = BuildRoot(null).Parse(args);
        var (options, level) = AppComposer.ReadOptions(parse, configure);
        var loggerFactory = AppComposer.CreateLoggerFactory(level);
        try
        {
            var app = new CeleriacApp(options, AppComposer.Services(loggerFactory));
            OwnedLoggers.AddOrUpdate(app, loggerFactory);
            return app;
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }
    }

    /// <summary>Runs the command in <paramref name="args"/> against <paramref name="app"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(this CeleriacApp app, string[] args, CancellationToken cancellationToken = default) =>
        RunAsync(app, args, Console.Out, Console.Error, cancellationToken);

    internal static async Task<int> RunAsync(CeleriacApp app, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            var parse = BuildRoot(app).Parse(args);

            // Signals are the worker command's business (warm, then cold shutdown), not the parser's.
            var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, Output = output, Error = error };
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
            if (OwnedLoggers.TryGetValue(app, out var loggerFactory))
            {
                loggerFactory.Dispose();
            }
        }
    }

    /// <summary>
    /// Builds the app from <paramref name="args"/> and runs the command, turning configuration errors into a clear
    /// message and exit code 64.
    /// </summary>
    public static Task<int> RunAsync(string[] args, Func<CeleriacOptions, CeleriacOptions>? configure = null, Action<CeleriacApp>? registerTasks = null) =>
        RunAsync(args, configure, registerTasks, Console.Out, Console.Error, CancellationToken.None);

    internal static async Task<int> RunAsync(string[] args, Func<CeleriacOptions, CeleriacOptions>? configure, Action<CeleriacApp>? registerTasks, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        CeleriacApp app;
        try
        {
            app = CreateApp(args, configure);
            registerTasks?.Invoke(app);
        }
        catch (CeleriacConfigurationException ex)
        {
            await error.WriteLineAsync("Error: " + ex.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await RunAsync(app, args, output, error, cancellationToken).ConfigureAwait(false);
    }

    private static RootCommand BuildRoot(CeleriacApp? app)
    {
        var root = new RootCommand("Celeriac: Celery's distributed task queue for .NET, on Celery's wire protocol.");
        foreach (var option in CliOptions.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(WorkerCommand.Create(app));
        root.Subcommands.Add(CallCommand.Create(app));
        root.Subcommands.Add(ResultCommand.Create(app));
        root.Subcommands.Add(PurgeCommand.Create(app));
        root.Subcommands.Add(StatusCommand.Create(app));
        root.Subcommands.Add(InspectCommand.Create(app));
        root.Subcommands.Add(ControlCommand.Create(app));
        root.Subcommands.Add(EventsCommand.Create(app));
        root.Subcommands.Add(BeatCommand.Create(app));
        root.Subcommands.Add(DashboardCommand.Create(app));
        return root;
    }
}
