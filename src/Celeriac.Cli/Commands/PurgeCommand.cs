using System.CommandLine;

namespace Celeriac.Cli.Commands;

/// <summary><c>purge</c>: delete every waiting message from the task queues. Source: celery/bin/purge.py.</summary>
internal static class PurgeCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var queues = new Option<string?>("--queues", "-Q") { Description = "Comma-separated queues to purge (default: task_default_queue and worker_queues)" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };
        var command = new Command("purge", "Erase all messages from the task queues (no undo)") { queues, force };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var names = parse.GetValue(queues) is { } q
                ? q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : app.Options.Worker.Queues.Append(app.Options.Task.DefaultQueue).Distinct(StringComparer.Ordinal).ToArray();
            if (!parse.GetValue(force))
            {
                if (Console.IsInputRedirected)
                {
                    throw new CommandException($"refusing to purge {string.Join(", ", names)} without confirmation; pass -f to skip the prompt", ExitCodes.Usage);
                }

                await parse.InvocationConfiguration.Output.WriteAsync($"WARNING: This will remove all tasks from queue{(names.Length == 1 ? string.Empty : "s")}: {string.Join(", ", names)}.\n         There is no undo for this operation!\n\n(to skip this prompt use the -f option)\nAre you sure you want to delete all tasks (yes/NO)? ").ConfigureAwait(false);
                if (!string.Equals(Console.ReadLine()?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
                {
                    return ExitCodes.Failure;
                }
            }

            long total = 0;
            foreach (var name in names)
            {
                total += await app.Transport.PurgeAsync(name, cancellationToken).ConfigureAwait(false);
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(
                total == 0
                    ? $"No messages purged from {names.Length} queue{(names.Length == 1 ? string.Empty : "s")}"
                    : $"Purged {total} message{(total == 1 ? string.Empty : "s")} from {names.Length} known task queue{(names.Length == 1 ? string.Empty : "s")}.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
