using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Celeriac.Cli.Commands;

/// <summary><c>control METHOD ARGS</c>: change workers at runtime. Source: celery/bin/control.py (control).</summary>
internal static class ControlCommand
{
    private static readonly string[] Methods = ["revoke", "terminate", "enable_events", "disable_events", "heartbeat", "shutdown", "time_limit", "rate_limit", "pool_grow", "pool_shrink", "add_consumer", "cancel_consumer"];

    public static Command Create(CeleriacApp? app)
    {
        var method = new Argument<string>("method") { Description = "One of: " + string.Join(", ", Methods) };
        method.AcceptOnlyFromAmong(Methods);
        var rest = new Argument<string[]>("args") { Description = "revoke: task ids; terminate: signal task ids; time_limit: task soft [hard]; rate_limit: task 10/m; pool_grow/pool_shrink: n; add_consumer: queue [exchange [type [routing_key]]]; cancel_consumer: queue", Arity = ArgumentArity.ZeroOrMore };
        var terminate = new Option<bool>("--terminate") { Description = "revoke: also cancel the task where it runs" };
        var destination = new Option<string?>("--destination", "-d") { Description = "Comma-separated node names" };
        var timeout = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for replies", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json", "-j") { Description = "Print the replies as JSON" };
        var command = new Command("control", "Control workers: " + string.Join(", ", Methods)) { method, rest, terminate, destination, timeout, json };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var name = parse.GetValue(method)!;
            var values = parse.GetValue(rest) ?? [];
            var args = Arguments(name, values, parse.GetValue(terminate));
            var dest = Destination(parse.GetValue(destination));
            if (name == "shutdown")
            {
                await app.Control.CastAsync(name, args, dest, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var replies = await app.Control.BroadcastAsync(name, args, dest, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (replies.Count == 0)
            {
                throw new CommandException("No nodes replied within time constraint", ExitCodes.Unavailable);
            }

            if (parse.GetValue(json))
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync(ReplyPrinter.Json(new JsonArray([.. replies.Select(r => (JsonNode)r.DeepClone())]))).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            foreach (var reply in replies)
            {
                foreach (var (node, value) in reply)
                {
                    await parse.InvocationConfiguration.Output.WriteLineAsync(ReplyPrinter.Format(node, value)).ConfigureAwait(false);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static IReadOnlyList<string>? Destination(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static JsonObject Arguments(string name, string[] values, bool terminate)
    {
        switch (name)
        {
            case "revoke":
                if (values.Length == 0)
                {
                    throw new CommandException("revoke needs at least one task id", ExitCodes.Usage);
                }

                return new JsonObject
                {
                    ["task_id"] = new JsonArray([.. values.Select(v => (JsonNode)v)]),
                    ["terminate"] = terminate,
                    ["signal"] = "SIGTERM",
                };
            case "terminate":
                // Celery's signature: terminate <signal> [id1 [id2 ...]].
                if (values.Length < 2)
                {
                    throw new CommandException("terminate needs: signal task_id [task_id ...] (e.g. terminate SIGTERM 4f1e...)", ExitCodes.Usage);
                }

                return new JsonObject
                {
                    ["signal"] = values[0],
                    ["task_id"] = new JsonArray([.. values.Skip(1).Select(v => (JsonNode)v)]),
                };
            case "time_limit":
                if (values.Length is < 2 or > 3)
                {
                    throw new CommandException("time_limit needs: task_name soft_secs [hard_secs]", ExitCodes.Usage);
                }

                return new JsonObject { ["task_name"] = values[0], ["soft"] = Seconds(values[1]), ["hard"] = values.Length == 3 ? Seconds(values[2]) : null };
            case "rate_limit":
                if (values.Length != 2)
                {
                    throw new CommandException("rate_limit needs: task_name rate (e.g. 10/m, or 0 to disable)", ExitCodes.Usage);
                }

                return new JsonObject { ["task_name"] = values[0], ["rate_limit"] = values[1] };
            case "pool_grow":
            case "pool_shrink":
                return new JsonObject { ["n"] = values.Length == 0 ? 1 : int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new CommandException($"{name}: '{values[0]}' is not a positive whole number", ExitCodes.Usage) };
            case "add_consumer":
                if (values.Length is < 1 or > 4)
                {
                    throw new CommandException("add_consumer needs: queue [exchange [type [routing_key]]]", ExitCodes.Usage);
                }

                return new JsonObject
                {
                    ["queue"] = values[0],
                    ["exchange"] = values.ElementAtOrDefault(1),
                    ["exchange_type"] = values.ElementAtOrDefault(2),
                    ["routing_key"] = values.ElementAtOrDefault(3),
                };
            case "cancel_consumer":
                if (values.Length != 1)
                {
                    throw new CommandException("cancel_consumer needs: queue", ExitCodes.Usage);
                }

                return new JsonObject { ["queue"] = values[0] };
            default:
                return [];
        }
    }

    private static double Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : throw new CommandException($"'{text}' is not a number of seconds", ExitCodes.Usage);
}
