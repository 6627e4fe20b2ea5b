using System.CommandLine;

namespace Celeriac.Cli.Commands;

/// <summary><c>status</c>: ping every worker and list those that answer. Source: celery/bin/control.py (status).</summary>
internal static class StatusCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var timeout = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for replies", DefaultValueFactory = _ => 1 };
        var destination = new Option<string?>("--destination", "-d") { Description = "Comma-separated node names to ask" };
        var command = new Command("status", "Show the workers that are online") { timeout, destination };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var dest = parse.GetValue(destination)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var nodes = await app.Control.PingAsync(dest, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken).ConfigureAwait(false);
            if (nodes.Count == 0)
            {
                throw new CommandException("No nodes replied within time constraint", ExitCodes.Unavailable);
            }

            foreach (var node in nodes)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync($"->  {node}: OK").ConfigureAwait(false);
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync($"\n{nodes.Count} node{(nodes.Count == 1 ? string.Empty : "s")} online.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
