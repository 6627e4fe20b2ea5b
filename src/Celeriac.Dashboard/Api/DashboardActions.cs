using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Dashboard.History;
using Celeriac.Protocol;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// What an operator can do, shared by the pages and Flower's API: remote control of a worker (by command name, so
/// Python workers obey too), revoke and terminate, re-run a task with its own arguments, send a task.
/// Source: flower/api/control.py, flower/api/tasks.py.
/// </summary>
internal sealed partial class DashboardActions
{
    private readonly DashboardContext _context;
    private readonly ILogger _logger;

    public DashboardActions(DashboardContext context)
    {
        _context = context;
        _logger = context.App.LoggerFactory.CreateLogger("celeriac.dashboard.actions");
    }

    /// <summary>Sends a control command to one worker and reports its reply (<c>ok</c> or <c>error</c>).</summary>
    public async Task<ActionResult> ControlAsync(string worker, string command, JsonObject arguments, string done, CancellationToken cancellationToken)
    {
        if (!_context.Workers.Knows(worker))
        {
            return ActionResult.Error(404, $"Unknown worker '{worker}'");
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var text = arguments.ToJsonString();
            LogControl(command, worker, text);
        }

        var replies = await _context.Control.BroadcastAsync(command, arguments, [worker], _context.Options.ControlTimeout, 1, cancellationToken).ConfigureAwait(false);
        var reply = replies.Select(r => r[worker]).OfType<JsonObject>().FirstOrDefault();
        if (reply is null)
        {
            return ActionResult.Error(504, $"'{worker}' did not answer '{command}' within {_context.Options.ControlTimeout.TotalSeconds:0.#} s");
        }

        if (reply["error"] is { } error)
        {
            return ActionResult.Error(403, $"{done} failed: {Text(error)}");
        }

        // The worker's own words (Celery answers {"ok": "..."}), and the raw reply for scripts.
        var ok = reply["ok"] is { } message ? Text(message) : done;
        return ActionResult.Ok(new JsonObject { ["message"] = ok, ["reply"] = reply.DeepClone() });
    }

    /// <summary>Asks a worker to shut down (Celery sends no reply to it).</summary>
    public async Task<ActionResult> ShutdownAsync(string worker, CancellationToken cancellationToken)
    {
        if (!_context.Workers.Knows(worker))
        {
            return ActionResult.Error(404, $"Unknown worker '{worker}'");
        }

        LogControl("shutdown", worker, "{}");
        await _context.Control.CastAsync("shutdown", destination: [worker], cancellationToken: cancellationToken).ConfigureAwait(false);
        return ActionResult.Ok("Shutting down!");
    }

    /// <summary>Revokes a task on every worker; <paramref name="terminate"/> also stops it where it runs.</summary>
    public async Task<ActionResult> RevokeAsync(string taskId, bool terminate, string signal, CancellationToken cancellationToken)
    {
        LogRevoke(taskId, terminate);
        var args = new JsonObject { ["task_id"] = new JsonArray(taskId), ["terminate"] = terminate, ["signal"] = signal };
        await _context.Control.CastAsync("revoke", args, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ActionResult.Ok(new JsonObject { ["message"] = $"Revoked '{taskId}'" });
    }

    /// <summary>
    /// Sends the task again under a new id with the same name, arguments and queue. The arguments come from the result
    /// backend when it keeps them (<c>result_extended</c>: exact JSON), else from the event's repr when that is a plain
    /// literal; otherwise the re-run is refused with the reason.
    /// </summary>
    public async Task<ActionResult> RetryAsync(string taskId, CancellationToken cancellationToken)
    {
        var task = await _context.Store.GetAsync(taskId, cancellationToken).ConfigureAwait(false);
        ResultMeta? meta = null;
        try
        {
            meta = await _context.App.Backend.GetAsync(taskId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
        {
            // No result backend (or one that cannot read): the event's repr is the only source left.
        }

        var name = meta?.Name ?? task?.Name;
        if (name is null)
        {
            return ActionResult.Error(404, $"Unknown task '{taskId}'");
        }

        JsonArray args;
        JsonObject kwargs;
        string source;
        if (meta?.Args is { } exactArgs)
        {
            args = (JsonArray)exactArgs.DeepClone();
            kwargs = meta.Kwargs is { } k ? (JsonObject)k.DeepClone() : [];
            source = "result backend";
        }
        else
        {
            try
            {
                args = PythonLiteral.Parse(task?.Args ?? "()") as JsonArray ?? throw new FormatException("args are not a tuple or list");
                kwargs = PythonLiteral.Parse(task?.Kwargs ?? "{}") as JsonObject ?? throw new FormatException("kwargs are not a dict");
                source = "task events";
            }
            catch (FormatException ex)
            {
                return ActionResult.Error(409, $"Cannot re-run '{taskId}' with the same arguments: the events show them as {task?.Args} {task?.Kwargs}, which is {ex.Message}. " +
                    "Enable result_extended on the workers so the result backend keeps the exact arguments.");
            }
        }

        var queue = QueueFor(name, meta?.Queue ?? task?.RoutingKey, meta?.Worker ?? task?.Worker);
        var options = new ApplyOptions { Queue = queue };
        var sent = await _context.App.SendTaskAsync(name, [.. args], kwargs.ToDictionary(p => p.Key, p => (object?)p.Value), options, cancellationToken).ConfigureAwait(false);
        await RememberSentAsync(sent.Id, name, args, kwargs, queue, taskId, cancellationToken).ConfigureAwait(false);
        LogRetry(taskId, sent.Id, source);
        return ActionResult.Ok(new JsonObject { ["message"] = $"Re-sent '{taskId}' as '{sent.Id}'", ["task-id"] = sent.Id, ["retry_of"] = taskId, ["source"] = source, ["queue"] = queue });
    }

    /// <summary>
    /// Where a re-run goes: the queue the task was sent to when anything recorded it (result_extended, task-sent),
    /// else where this app's task_routes send it, else a queue of the worker that ran it (its default queue when it
    /// consumes that one), else the default queue. Task events from workers do not name the queue.
    /// </summary>
    private string? QueueFor(string name, string? known, string? worker)
    {
        if (!string.IsNullOrEmpty(known))
        {
            return known;
        }

        var defaultQueue = _context.App.Options.Task.DefaultQueue;
        if (_context.App.Options.Task.Routes.Count > 0 && new Routing.TaskRouter(_context.App.Options.Task.Routes, defaultQueue).Resolve(name, null, null, null).Queue != defaultQueue)
        {
            return null;
        }

        var queues = worker is null ? [] : _context.Workers.Get(worker)?.Queues ?? [];
        return queues.Count == 0 || queues.Contains(defaultQueue) ? null : queues[0];
    }

    /// <summary>Sends a task by name (Flower's async-apply and send-task).</summary>
    public async Task<(string Id, string? State)> SendAsync(string name, JsonArray args, JsonObject kwargs, ApplyOptions options, CancellationToken cancellationToken)
    {
        var sent = await _context.App.SendTaskAsync(name, [.. args.Select(a => (object?)a?.DeepClone())], kwargs.ToDictionary(p => p.Key, p => (object?)p.Value?.DeepClone()), options, cancellationToken).ConfigureAwait(false);
        await RememberSentAsync(sent.Id, name, args, kwargs, options.Queue, null, cancellationToken).ConfigureAwait(false);
        string? state = null;
        if (_context.App.Options.ResultBackend is not null)
        {
            state = (await _context.App.Backend.GetAsync(sent.Id, cancellationToken).ConfigureAwait(false))?.Status ?? TaskStates.Pending;
        }

        return (sent.Id, state);
    }

    private Task<TaskRecord> RememberSentAsync(string id, string name, JsonArray args, JsonObject kwargs, string? queue, string? retryOf, CancellationToken cancellationToken) =>
        _context.Store.AddSentAsync(
            new TaskRecord
            {
                Id = id,
                Name = name,
                State = TaskStates.Pending,
                Args = PythonRepr.Args(args),
                Kwargs = PythonRepr.Of(kwargs),
                RoutingKey = queue,
                Client = _context.App.NodeName,
                FirstSeen = WireTime.ToUnixSeconds(_context.Time.GetUtcNow()),
                Sent = WireTime.ToUnixSeconds(_context.Time.GetUtcNow()),
                RetryOf = retryOf,
            },
            cancellationToken);

    private static string Text(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();

    [LoggerMessage(EventId = 7050, Level = LogLevel.Information, Message = "Dashboard sends {Command} to {Worker} with {Arguments}")]
    private partial void LogControl(string command, string worker, string arguments);

    [LoggerMessage(EventId = 7051, Level = LogLevel.Information, Message = "Dashboard revokes {TaskId} (terminate: {Terminate})")]
    private partial void LogRevoke(string taskId, bool terminate);

    [LoggerMessage(EventId = 7052, Level = LogLevel.Information, Message = "Dashboard re-sent {TaskId} as {NewId} with its arguments from the {Source}")]
    private partial void LogRetry(string taskId, string newId, string source);
}
