using System.CommandLine;
using System.Runtime.InteropServices;
using Celeriac.Worker;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>worker</c>: consume and run tasks until SIGTERM or Ctrl+C (warm shutdown); a second signal, or SIGQUIT,
/// shuts down cold. Source of flags: celery/bin/worker.py.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Tasks run at once (worker_concurrency; default: CPU count)" };
        var queues = new Option<string?>("--queues", "-Q") { Description = "Comma-separated queues to consume (default: task_default_queue)" };
        var hostname = new Option<string?>("--hostname", "-n") { Description = "Node name, e.g. w1@%h (default celery@<host>)" };
        var prefetch = new Option<int?>("--prefetch-multiplier") { Description = "Prefetch = concurrency x this (worker_prefetch_multiplier, default 4; 0 = no limit)" };
        var statedb = new Option<string?>("--statedb", "-S") { Description = "File that keeps revoked task ids across restarts (worker_state_db)" };
        var events = new Option<bool>("--task-events", "-E") { Description = "Send task events, for monitors such as celery events and Flower (worker_send_task_events)" };
        var withoutMingle = new Option<bool>("--without-mingle") { Description = "Do not sync revoked ids and clocks with other workers at start (Redis and AMQP mingle by default)" };
        var command = new Command("worker", "Start a worker") { concurrency, queues, hostname, prefetch, events, statedb, withoutMingle };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var o = app.Options.Worker;
            o = o with
            {
                Concurrency = parse.GetValue(concurrency) ?? o.Concurrency,
                Queues = parse.GetValue(queues) is { } q ? [.. q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] : o.Queues,
                Hostname = parse.GetValue(hostname) ?? o.Hostname,
                PrefetchMultiplier = parse.GetValue(prefetch) ?? o.PrefetchMultiplier,
                SendTaskEvents = parse.GetValue(events) || o.SendTaskEvents,
                StateDb = parse.GetValue(statedb) ?? o.StateDb,
                Mingle = o.Mingle && !parse.GetValue(withoutMingle),
            };
            var worker = new WorkerHost(app, o);
            await using var disposeWorker = worker.ConfigureAwait(false);
            using var warm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var signals = 0;
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                if (context.Signal == PosixSignal.SIGQUIT || Interlocked.Increment(ref signals) > 1)
                {
                    worker.RequestColdShutdown();
                }

                warm.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);

            await worker.StartAsync(cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(Banner(app, worker)).ConfigureAwait(false);
            await worker.RunAsync(warm.Token).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Banner(CeleriacApp app, WorkerHost worker)
    {
        var tasks = string.Join(Environment.NewLine, app.Tasks.All.Select(t => "  . " + t.Name));
        return $"""
             -------------- {worker.Hostname} v{typeof(WorkerHost).Assembly.GetName().Version?.ToString(3)} (celeriac)
            --- ***** -----
            -- ******* ---- {RuntimeInformation.OSDescription} {DateTime.SpecifyKind(app.TimeProvider.GetLocalNow().DateTime, DateTimeKind.Unspecified):yyyy-MM-dd HH:mm:ss}
            - *** --- * ---
            - ** ---------- [config]
            - ** ---------- .> app:         {app.Options.Name}
            - ** ---------- .> transport:   {app.BrokerOptionsUrl.Redacted}
            - ** ---------- .> results:     {(app.Options.ResultBackend is null ? "disabled://" : Transport.BrokerUrl.Parse(app.Options.ResultBackend).Redacted)}
            - *** --- * --- .> concurrency: {worker.Options.Concurrency} (async + {worker.Options.Concurrency} task threads)
            -- ******* ----
            --- ***** ----- [queues]
             -------------- .> {string.Join(", ", worker.Queues)}

            [tasks]
            {tasks}

            """;
    }
}
