using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Events;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary>
/// <c>events</c>: a live stream of the cluster's events, one line each, as Celery's event dumper
/// (<c>celery events --dump</c>) prints them
/// (<c>w1@host [2026-01-01 12:00:00.123456] task succeeded: tasks.add(id) args=(2, 3) kwargs={} clock=9, …, result=5, runtime=0.001</c>);
/// <c>--dump</c> writes each event as one line of JSON instead. Source: celery/events/dumper.py.
/// </summary>
internal static class EventsCommand
{
    private const int MaxNames = 0xFFF;

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
            if (!parse.GetValue(dump))
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync("-> evdump: starting capture...").ConfigureAwait(false);
            }

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

    /// <summary>
    /// One event as Celery's dumper prints it: <c>host [utc time] type: task fields</c>, worker types humanized
    /// (started, heartbeat, shutdown), the other fields sorted as <c>key=value</c> with Python's <c>str()</c>.
    /// A task's name and arguments are remembered from its received (or sent) event.
    /// </summary>
    public static string Readable(JsonObject e, Dictionary<string, string> names)
    {
        var fields = e.DeepClone().AsObject();
        var when = JsonNumbers.TryGetDouble(fields["timestamp"], out var ts) ? PythonUtcTime(ts) : "?";
        fields.Remove("timestamp");
        var type = (Take(fields, "type") ?? "?").ToLowerInvariant();
        var host = Take(fields, "hostname") ?? "?";
        if (type.StartsWith("task-", StringComparison.Ordinal))
        {
            var uuid = Take(fields, "uuid") ?? string.Empty;
            string task;
            if (type is EventNames.TaskReceived or EventNames.TaskSent)
            {
                if (names.Count >= MaxNames)
                {
                    // Bounded as Celery's LRU of task names (0xFFF): a long capture does not grow without end.
                    names.Clear();
                }

                task = names[uuid] = $"{Take(fields, "name")}({uuid}) args={Take(fields, "args")} kwargs={Take(fields, "kwargs")}";
            }
            else
            {
                task = names.GetValueOrDefault(uuid, string.Empty);
            }

            var taskFields = Fields(fields);
            return $"{host} [{when}] {Humanize(type)}{(taskFields.Length > 0 ? ":" : string.Empty)} {task} {taskFields}";
        }

        var rest = Fields(fields);
        return $"{host} [{when}] {Humanize(type)}{(rest.Length > 0 ? ":" : string.Empty)} {rest}";
    }

    private static string Fields(JsonObject fields) =>
        string.Join(", ", fields.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Text(p.Value)}"));

    private static string Humanize(string type) => type switch
    {
        EventNames.WorkerOffline => "shutdown",
        EventNames.WorkerOnline => "started",
        EventNames.WorkerHeartbeat => "heartbeat",
        _ => type.Replace('-', ' '),
    };

    /// <summary>
    /// Python's <c>str(datetime.utcfromtimestamp(ts))</c>, rounded as Python rounds (the fraction's microseconds, half to
    /// even); microseconds shown only when not zero. Source: CPython datetime._fromtimestamp.
    /// </summary>
    private static string PythonUtcTime(double ts)
    {
        var seconds = Math.Floor(ts);
        var micros = (long)Math.Round((ts - seconds) * 1e6, MidpointRounding.ToEven);
        var time = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(micros * 10);
        return time.ToString(micros % 1_000_000 == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    }

    private static string? Take(JsonObject o, string key)
    {
        var value = o[key];
        o.Remove(key);
        return value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString();
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : PythonRepr.Of(node);
}
