using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary><c>call NAME</c>: send a task by name and print its id. Source of flags: celery/bin/call.py.</summary>
internal static class CallCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var name = new Argument<string>("name") { Description = "The task name, e.g. proj.tasks.add" };
        var args = new Option<string?>("--args", "-a") { Description = "Positional arguments as a JSON array, e.g. '[2, 2]'" };
        var kwargs = new Option<string?>("--kwargs", "-k") { Description = "Keyword arguments as a JSON object, e.g. '{\"x\": 1}'" };
        var countdown = new Option<double?>("--countdown") { Description = "Run no sooner than this many seconds from now" };
        var eta = new Option<string?>("--eta") { Description = "Run no sooner than this ISO-8601 time" };
        var expires = new Option<string?>("--expires") { Description = "Revoke after this many seconds, or this ISO-8601 time" };
        var queue = new Option<string?>("--queue") { Description = "The queue (default: routed or task_default_queue)" };
        var exchange = new Option<string?>("--exchange") { Description = "An explicit exchange" };
        var routingKey = new Option<string?>("--routing-key") { Description = "An explicit routing key" };
        var priority = new Option<int?>("--priority") { Description = "Message priority" };
        var command = new Command("call", "Send a task by name and print its id") { name, args, kwargs, countdown, eta, expires, queue, exchange, routingKey, priority };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var argsNode = CommandRunner.ParseJson(parse.GetValue(args), "--args") switch
            {
                null => [],
                JsonArray a => a,
                _ => throw new CommandException("--args must be a JSON array, e.g. '[2, 2]'", ExitCodes.Usage),
            };
            var kwargsNode = CommandRunner.ParseJson(parse.GetValue(kwargs), "--kwargs") switch
            {
                null => [],
                JsonObject o => o,
                _ => throw new CommandException("--kwargs must be a JSON object, e.g. '{\"x\": 1}'", ExitCodes.Usage),
            };
            var options = new ApplyOptions
            {
                Countdown = parse.GetValue(countdown) is { } c ? TimeSpan.FromSeconds(c) : null,
                Eta = parse.GetValue(eta) is { } e ? ParseTime(e, "--eta") : null,
                Queue = parse.GetValue(queue),
                Exchange = parse.GetValue(exchange),
                RoutingKey = parse.GetValue(routingKey),
                Priority = parse.GetValue(priority),
            };
            if (parse.GetValue(expires) is { } x)
            {
                options = double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                    ? options with { ExpiresIn = TimeSpan.FromSeconds(seconds) }
                    : options with { Expires = ParseTime(x, "--expires") };
            }

            var args2 = argsNode.Select(n => (object?)n?.DeepClone()).ToArray();
            var kwargs2 = kwargsNode.ToDictionary(p => p.Key, p => (object?)p.Value?.DeepClone());
            var result = await app.SendTaskAsync(parse.GetValue(name)!, args2, kwargs2, options, cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(result.Id).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static DateTimeOffset ParseTime(string text, string option) =>
        WireTime.TryParse(text, out var value) ? value : throw new CommandException($"{option} '{text}' is not an ISO-8601 time", ExitCodes.Usage);
}
