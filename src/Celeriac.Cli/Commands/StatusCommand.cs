using System.CommandLine;
using System.Text.Json.Nodes;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>status</c>: ping every worker and list those that answer, as Celery's <c>celery status</c> prints them
/// (<c>-&gt;  node: OK</c> lines, then <c>N nodes online.</c>). Source: celery/bin/control.py (status).
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var timeout = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for replies", DefaultValueFactory = _ => 1 };
        var destination = new Option<string?>("--destination", "-d") { Description = "Comma-separated node names to ask" };
        var json = new Option<bool>("--json", "-j") { Description = "Also print the replies as JSON" };
        var command = new Command("status", "Show the workers that are online") { timeout, destination, json };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var dest = parse.GetValue(destination)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var replies = await app.Control.InspectAsync("ping", destination: dest, timeout: TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (replies.Count == 0)
            {
                throw new CommandException("No nodes replied within time constraint", ExitCodes.Unavailable);
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(ReplyPrinter.Json(new JsonObject([.. replies.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]))).ConfigureAwait(false);
            }
            else
            {
                foreach (var node in replies.Keys)
                {
                    await output.WriteLineAsync($"->  {node}: OK").ConfigureAwait(false);
                }
            }

            await output.WriteLineAsync(ReplyPrinter.Online(replies.Count)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
