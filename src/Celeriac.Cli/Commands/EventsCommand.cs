using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Events;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>events</c>: a live stream of the cluster's events, one line each, readable as Celery's event dumper prints them
/// (<c>w1@host [2026-01-01 12:00:00.123456] task succeeded: tasks.add(id) args=(2, 3) kwargs={} result=5, runtime=0.001</c>);
/// <c>--dump</c> writes JSON lines instead. Source: celery/events/dumper.py.
/// </summary>
internal static class EventsCommand
{
    public static Command Create(CeleriacApp? app)
    {
        var dump = new Option<bool>("--dump") { Description = "Write each event as one line of JSON" };
        var routingKey = new Option<string>("--routing-key") { Description = "Which events: a topic pattern (task.#, worker.#)", DefaultValueFactory = _ => "#" };
        var count = new Option<int?>("--count") { Description = "Stop after this many events" };
        var command = new Command("events", "Show the cluster's events as they happen") { dump, routingKey, count };
        CommandRunner.SetAction(command, app, async (app, parse, cancellationToken) =>
        {
            var receiver = new EventReceiver(app, parse.GetValue(routingKey)!);
            await using var disposeReceiver = receiver.ConfigureAwait(false);
            await receiver.StartAsync(cancellationToken).ConfigureAwait(false);

            // Ask workers to announce themselves, as Celery's receivers do on start.
            await app.Control.CastAsync("heartbeat", cancellationToken: cancellationToken).ConfigureAwait(false);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = 0;
            var max = parse.GetValue(count);
            try
            {
                await foreach (var e in receiver.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    var line = parse.GetValue(dump) ? e.ToJsonString() : Readable(e, names);
                    await parse.InvocationConfiguration.Output.WriteLineAsync(line).ConfigureAwait(false);
                    await parse.InvocationConfiguration.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (max is { } m && ++seen >= m)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Readable(JsonObject e, Dictionary<string, string> names)
    {
        var fields = e.DeepClone().AsObject();
        var type = (Take(fields, "type") ?? "?").ToLowerInvariant();
        var host = Take(fields, "hostname") ?? "?";
        var when = JsonNumbers.TryGetDouble(fields["timestamp"], out var ts)
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(ts * 1000)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)
            : "?";
        fields.Remove("timestamp");
        foreach (var noise in new[] { "utcoffset", "pid", "clock", "local_received" })
        {
            fields.Remove(noise);
        }

        var task = string.Empty;
        if (type.StartsWith("task-", StringComparison.Ordinal) && Take(fields, "uuid") is { } uuid)
        {
            if (type is EventNames.TaskReceived or EventNames.TaskSent)
            {
                task = names[uuid] = $"{Take(fields, "name")}({uuid}) args={Take(fields, "args")} kwargs={Take(fields, "kwargs")}";
            }
            else
            {
                task = names.TryGetValue(uuid, out var known) ? known : uuid;
            }
        }

        var rest = string.Join(", ", fields.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Text(p.Value)}"));
        var head = $"{host} [{when}] {type.Replace('-', ' ')}";
        return (task.Length, rest.Length) switch
        {
            (0, 0) => head,
            (0, _) => $"{head}: {rest}",
            (_, 0) => $"{head}: {task}",
            _ => $"{head}: {task} {rest}",
        };
    }

    private static string? Take(JsonObject o, string key)
    {
        var value = o[key];
        o.Remove(key);
        return value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString();
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : PythonRepr.Of(node);
}
