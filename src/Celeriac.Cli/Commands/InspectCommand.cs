using System.CommandLine;
using System.Text.Json.Nodes;

namespace Celeriac.Cli.Commands;

/// <summary><c>inspect METHOD</c>: ask workers about their state. Source: celery/bin/control.py (inspect).</summary>
internal static class InspectCommand
{
    private static readonly string[] Methods = ["ping", "stats", "active", "reserved", "scheduled", "revoked", "registered", "active_queues", "query_task", "conf", "report", "clock"];

    public static Command Create(CeleriacApp? app)
    {
        var method = new Argument<string>("method") { Description = "One of: " + string.Join(", ", Methods) };
        method.AcceptOnlyFromAmong(Methods);
        var ids = new Argument<string[]>("task_ids") { Description = "Task ids (query_task)", Arity = ArgumentArity.ZeroOrMore };
        var destination = new Option<string?>("--destination", "-d") { Description = "Comma-separated node names to ask" };
        var timeout = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for replies", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json", "-j") { Description = "Print the replies as one JSON object" };
        var command = new Command("inspect", "Inspect workers: " + string.Join(", ", Methods)) { method, ids, destination, timeout, json };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var name = parse.GetValue(method)!;
            var args = name switch
            {
                "query_task" => new JsonObject { ["ids"] = new JsonArray([.. (parse.GetValue(ids) ?? []).Select(i => (JsonNode)i)]) },
                "registered" => new JsonObject { ["taskinfoitems"] = new JsonArray() },
                "conf" => new JsonObject { ["with_defaults"] = false },
                _ => new JsonObject(),
            };
            var replies = await app.Control.InspectAsync(name, args, ControlCommand.Destination(parse.GetValue(destination)), TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken).ConfigureAwait(false);
            if (replies.Count == 0)
            {
                throw new CommandException("No nodes replied within time constraint", ExitCodes.Unavailable);
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(ReplyPrinter.Json(new JsonObject([.. replies.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]))).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            foreach (var (node, reply) in replies)
            {
                await output.WriteLineAsync(ReplyPrinter.Format(node, reply)).ConfigureAwait(false);
            }

            await output.WriteLineAsync(ReplyPrinter.Online(replies.Count)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
