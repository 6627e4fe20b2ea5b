using System.CommandLine;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary><c>result ID</c>: wait for a task's result and print it as JSON. Source: celery/bin/result.py.</summary>
internal static class ResultCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var id = new Argument<string>("task_id") { Description = "The task id" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the task to finish", DefaultValueFactory = _ => 10 };
        var traceback = new Option<bool>("--traceback") { Description = "Print the traceback of a failed task" };
        var command = new Command("result", "Wait for a task's result and print it") { id, timeout, traceback };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var result = app.AsyncResult(parse.GetValue(id)!);
            try
            {
                var value = await result.GetAsync(TimeSpan.FromSeconds(parse.GetValue(timeout)), propagate: true, cancellationToken).ConfigureAwait(false);
                await parse.InvocationConfiguration.Output.WriteLineAsync(KombuJson.SerializeToString(value)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (TaskFailedException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{ex.State}: {ex.Message}").ConfigureAwait(false);
                if (parse.GetValue(traceback) && ex.RemoteTraceback is { } tb)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync(tb).ConfigureAwait(false);
                }

                return ExitCodes.Failure;
            }
            catch (TimeoutException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{result.State}: task {result.Id} is not ready after {parse.GetValue(timeout)} s").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
