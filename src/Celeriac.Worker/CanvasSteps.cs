using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// What the worker does for a task's workflow once its body has ended, in Celery's order. On success the <c>link</c>
/// callbacks (several go out as one group) and the next <c>chain</c> step are sent with the result prepended, before
/// the result is stored. On failure, after the FAILURE is stored: the chord join, the FAILURE stored under every
/// pending chain step's id (a step that is a chord member takes part in its join), then the errbacks. On REVOKED only
/// the chord join. The last header task to end sends the chord's body, or fails it with <c>ChordError</c>. A send
/// that fails is logged; the task's own outcome stands.
/// Source: celery/app/trace.py (build_tracer), celery/backends/base.py (mark_as_failure, mark_as_revoked,
/// _call_task_errbacks, chord_error_from_stack), celery/backends/redis.py (on_chord_part_return).
/// </summary>
internal sealed partial class CanvasSteps
{
    private readonly CeleriacApp _app;
    private readonly CanvasSender _sender;
    private readonly ILogger _logger;

    public CanvasSteps(CeleriacApp app, ILogger logger)
    {
        _app = app;
        _sender = new CanvasSender(app);
        _logger = logger;
    }

    /// <summary>
    /// Before a SUCCESS is stored: sends the callbacks and the next chain step; returns their result tuples for the
    /// meta's <c>children</c>, or null when the task has neither (no work, no allocation, for the common task).
    /// </summary>
    public ValueTask<JsonArray?> SendCallbacksAsync(TaskRequest request, JsonNode? result) =>
        request.Message.Embed is { Callbacks: null or { Count: 0 }, Chain: null or { Count: 0 } }
            ? ValueTask.FromResult<JsonArray?>(null)
            : SendCallbacksCoreAsync(request, result);

    /// <summary>After a SUCCESS (stored or ignored): a chord header task's part in the join.</summary>
    public ValueTask JoinChordAsync(TaskRequest request, JsonNode? result) =>
        request.Message.Embed.Chord is null
            ? ValueTask.CompletedTask
            : ChordPartAsync(request, new ResultMeta { TaskId = request.Id, Status = TaskStates.Success, Result = result });

    private async ValueTask<JsonArray?> SendCallbacksCoreAsync(TaskRequest request, JsonNode? result)
    {
        var children = new JsonArray();
        var embed = request.Message.Embed;
        if (embed.Callbacks is { Count: > 0 } callbacks)
        {
            // Celery sends one callback alone; several as groups of their own plus one group of the rest.
            var plain = new List<JsonNode?>();
            foreach (var callback in callbacks)
            {
                if (callbacks.Count > 1 && callback is JsonObject o && Signature.Text(o[CanvasNames.SubtaskTypeKey]) != CanvasNames.GroupType)
                {
                    plain.Add(callback);
                }
                else
                {
                    Add(children, await SendAsync(request, callback, [result?.DeepClone()], null).ConfigureAwait(false));
                }
            }

            if (plain.Count > 0)
            {
                var group = new JsonObject
                {
                    [CanvasNames.TaskKey] = CanvasNames.GroupTask,
                    [CanvasNames.ArgsKey] = new JsonArray(),
                    [CanvasNames.KwargsKey] = new JsonObject { [CanvasNames.TasksKey] = new JsonArray([.. plain.Select(p => p?.DeepClone())]) },
                    [CanvasNames.OptionsKey] = new JsonObject(),
                    [CanvasNames.SubtaskTypeKey] = CanvasNames.GroupType,
                    [CanvasNames.ImmutableKey] = false,
                };
                Add(children, await SendAsync(request, group, [result?.DeepClone()], null).ConfigureAwait(false));
            }
        }

        if (embed.Chain is { Count: > 0 } chain)
        {
            var rest = new JsonArray();
            for (var i = 0; i < chain.Count - 1; i++)
            {
                rest.Add(chain[i]?.DeepClone());
            }

            Add(children, await SendAsync(request, chain[^1], [result?.DeepClone()], new JsonObject { [CanvasNames.Chain] = rest }).ConfigureAwait(false));
        }

        return children;
    }

    /// <summary>After a stored FAILURE (errbacks, chain steps, chord join) or REVOKED (chord join only), as Celery does.</summary>
    public async ValueTask OnFailedAsync(TaskRequest request, ResultMeta meta)
    {
        await ChordPartAsync(request, meta).ConfigureAwait(false);
        if (meta.Status != TaskStates.Failure)
        {
            return;
        }

        foreach (var step in request.Message.Embed.Chain ?? [])
        {
            if (step is not JsonObject { } s || s[CanvasNames.OptionsKey] is not JsonObject options)
            {
                continue;
            }

            var stepMeta = meta with
            {
                TaskId = Signature.Text(options[CanvasNames.TaskId]) ?? string.Empty,
                Children = [],
                GroupId = Signature.Text(options[CanvasNames.GroupId]),
                ParentId = Signature.Text(options[CanvasNames.ParentId]),
                Name = null,
                Args = null,
                Kwargs = null,
            };
            if (stepMeta.TaskId.Length > 0)
            {
                await StoreQuietlyAsync(stepMeta).ConfigureAwait(false);
            }

            // A pending step that is a chord member must still report, or the chord would wait for it forever.
            if (options[CanvasNames.Chord] is JsonObject body && stepMeta.GroupId is { } groupId && stepMeta.TaskId.Length > 0)
            {
                var index = options[CanvasNames.GroupIndex] is JsonValue iv && iv.TryGetValue<int>(out var i) ? i : (int?)null;
                await JoinAsync(request, groupId, index, body, stepMeta).ConfigureAwait(false);
            }
        }

        if (request.Message.Embed.Errbacks is { Count: > 0 } errbacks)
        {
            await CallErrbacksAsync(request, request.Id, request.RootId, errbacks, meta).ConfigureAwait(false);
        }
    }

    /// <summary>A chord header task's part in the join (any end state); the last one sends the body, or fails it.</summary>
    private async ValueTask ChordPartAsync(TaskRequest request, ResultMeta meta)
    {
        if (request.Message.Embed.Chord is { } body && request.GroupId is { } groupId && _app.Backend.Capabilities.JoinsChords)
        {
            await JoinAsync(request, groupId, request.Message.Headers.GroupIndex, body, meta).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Celery's <c>chord_error_from_stack</c>: the body's errbacks are called as for a failed task with the body's id, and
    /// ChordError is stored as the body's result (under every task id of a chain body, so whatever waits on it ends).
    /// </summary>
    internal async ValueTask FailChordBodyAsync(TaskRequest request, JsonObject chordBody, string reason)
    {
        Signature body;
        try
        {
            body = Signature.FromJson(chordBody);
        }
        catch (MessageDecodeException ex)
        {
            LogSendFailed(ex, request.Id, "chord body");
            return;
        }

        var error = ExceptionInfo.Celery("ChordError", reason);
        var ids = BodyIds(body).ToList();
        var bodyId = ids.Count > 0 ? ids[^1] : null;
        LogChordFailed(bodyId ?? "(no id)", error.ToString());
        var failure = new ResultMeta
        {
            TaskId = bodyId ?? string.Empty,
            Status = TaskStates.Failure,
            Result = error.ToJson(),
            Children = [],
            DateDone = _app.TimeProvider.GetUtcNow().UtcDateTime,
        };

        if (body.OptionsNode[CanvasNames.LinkError] is JsonArray { Count: > 0 } errbacks && bodyId is not null)
        {
            await CallErrbacksAsync(FakeRequest(request, body, bodyId), bodyId, bodyId, errbacks, failure).ConfigureAwait(false);
        }

        foreach (var id in ids)
        {
            await StoreQuietlyAsync(failure with { TaskId = id }).ConfigureAwait(false);
        }
    }

    private async ValueTask JoinAsync(TaskRequest request, string groupId, int? groupIndex, JsonObject body, ResultMeta meta)
    {
        IReadOnlyList<ChordMember>? members;
        try
        {
            members = await _app.Backend.ChordPartReturnAsync(groupId, groupIndex, meta).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogChordJoinFailed(ex, groupId, meta.TaskId);
            await FailChordBodyAsync(request, body, $"Join error: {ex.GetType().Name}({PythonRepr.Of(ex.Message)})").ConfigureAwait(false);
            return;
        }

        if (members is null)
        {
            return;
        }

        // Celery's ordered join raises at the first member (by position) that failed or was revoked.
        if (members.FirstOrDefault(m => TaskStates.Propagates(m.Status)) is { } culprit)
        {
            var cause = ExceptionInfo.FromJson(culprit.Result)?.ToString() ?? PythonRepr.Of(culprit.Result);
            await FailChordBodyAsync(request, body, $"Dependency {culprit.TaskId} raised {cause}").ConfigureAwait(false);
            return;
        }

        var results = new JsonArray();
        foreach (var m in members)
        {
            results.Add(m.Result?.DeepClone());
        }

        try
        {
            await SendOrThrowAsync(request, body, [results], null).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(ex, request.Id, "chord body");
            await FailChordBodyAsync(request, body, $"Callback error: {ex.GetType().Name}({PythonRepr.Of(ex.Message)})").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Celery's <c>_call_task_errbacks</c>: an errback whose task is registered here and takes more than one argument is
    /// called in this process with (request, exception, traceback) and its own arguments after them; the others are sent
    /// as one group with the failed task's id as their argument.
    /// </summary>
    private async ValueTask CallErrbacksAsync(TaskRequest request, string failedId, string rootId, JsonArray errbacks, ResultMeta failure)
    {
        var oldStyle = new JsonArray();
        foreach (var errback in errbacks)
        {
            Signature sig;
            try
            {
                sig = Signature.FromJson(errback);
            }
            catch (MessageDecodeException ex)
            {
                LogSendFailed(ex, request.Id, errback?.ToJsonString() ?? "null");
                continue;
            }

            if (sig.SubtaskType is null && _app.Tasks.TryGet(sig.Task, out var definition) && definition.Invoker.TakesMoreThanOneArgument)
            {
                await CallNewStyleErrbackAsync(request, sig, definition, failure).ConfigureAwait(false);
            }
            else
            {
                oldStyle.Add(errback?.DeepClone());
            }
        }

        if (oldStyle.Count == 0)
        {
            return;
        }

        var group = Workflow.Group(oldStyle.Select(Signature.FromJson));
        try
        {
            await _sender.ApplyAsync(group.Apply(failedId), new JsonObject { [CanvasNames.ParentId] = failedId, [CanvasNames.RootId] = rootId }, fromClient: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(ex, request.Id, "errbacks");
        }
    }

    private async ValueTask CallNewStyleErrbackAsync(TaskRequest request, Signature errback, TaskDefinition definition, ResultMeta failure)
    {
        var exception = failure.Exception ?? new ExceptionInfo("Exception", "builtins", failure.Result?.DeepClone());
        LeadingArgument[] leading =
        [
            new([request], RequestJson(request)),
            new([exception, new TaskFailedException(exception, request.Id, failure.Status, failure.Traceback)], exception.ToJson()),
            new([failure.Traceback], failure.Traceback),
        ];
        try
        {
            var context = new TaskContext(_app, request, definition, _app.LoggerFactory.CreateLogger(definition.Name), CancellationToken.None);
            await LocalTaskCall.InvokeAsync(definition, context, errback.Args, errback.Kwargs, leading).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogErrbackFailed(ex, errback.Task, request.Id);
        }
    }

    /// <summary>Celery's <c>Context</c> as a dict, for new-style errbacks whose first parameter is not a <see cref="TaskRequest"/>.</summary>
    private static JsonObject RequestJson(TaskRequest request)
    {
        var h = request.Message.Headers;
        return new JsonObject
        {
            ["id"] = request.Id,
            ["task"] = request.TaskName,
            ["args"] = request.Args.DeepClone(),
            ["kwargs"] = request.Kwargs.DeepClone(),
            ["group"] = h.Group,
            ["group_index"] = h.GroupIndex,
            ["root_id"] = request.RootId,
            ["parent_id"] = request.ParentId,
            ["retries"] = request.Retries,
            ["hostname"] = request.Hostname,
            ["delivery_info"] = new JsonObject { ["exchange"] = request.Exchange, ["routing_key"] = request.RoutingKey, ["priority"] = request.Priority, ["redelivered"] = request.Redelivered },
            ["chord"] = request.Message.Embed.Chord?.DeepClone(),
            ["callbacks"] = request.Message.Embed.Callbacks?.DeepClone(),
            ["errbacks"] = request.Message.Embed.Errbacks?.DeepClone(),
        };
    }

    /// <summary>Celery's best-effort request for a chord body's errbacks: the body's id, task and arguments.</summary>
    private static TaskRequest FakeRequest(TaskRequest request, Signature body, string bodyId)
    {
        var message = new TaskMessage
        {
            Headers = new TaskHeaders { Task = body.Task, Id = bodyId, RootId = bodyId, ParentId = request.Id },
            Args = body.Args,
            Kwargs = body.Kwargs,
            Embed = new TaskEmbed { Errbacks = body.OptionsNode[CanvasNames.LinkError] as JsonArray },
        };
        return new TaskRequest(message, request.Queue, request.Exchange, request.RoutingKey, redelivered: false, request.Hostname);
    }

    /// <summary>The task ids a chord body's result stands under: the task's, or every step's of a chain.</summary>
    private static IEnumerable<string> BodyIds(Signature body) => body.SubtaskType switch
    {
        CanvasNames.ChainType => Workflow.Tasks(body).SelectMany(BodyIds),
        CanvasNames.GroupType or CanvasNames.ChordType => [],
        _ => body.Id is { } id ? [id] : [],
    };

    private static void Add(JsonArray children, JsonArray? tuple)
    {
        if (tuple is not null)
        {
            children.Add(tuple);
        }
    }

    /// <summary>Sends a signature dict with <paramref name="args"/> prepended, as a child of the request; returns its result tuple, or null when the send failed (logged).</summary>
    private async ValueTask<JsonArray?> SendAsync(TaskRequest request, JsonNode? signature, JsonArray args, JsonObject? extra)
    {
        try
        {
            return await SendOrThrowAsync(request, signature, args, extra).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(ex, request.Id, signature?.ToJsonString() ?? "null");
            return null;
        }
    }

    private async ValueTask<JsonArray> SendOrThrowAsync(TaskRequest request, JsonNode? signature, JsonArray args, JsonObject? extra)
    {
        var sig = Signature.FromJson(signature).Apply(args, null);
        var options = extra ?? [];
        options[CanvasNames.ParentId] = request.Id;
        options[CanvasNames.RootId] = request.RootId;
        var sent = await _sender.ApplyAsync(sig, options, fromClient: false, CancellationToken.None).ConfigureAwait(false);
        return ResultTuples.ToTuple(sent);
    }

    private async ValueTask StoreQuietlyAsync(ResultMeta meta)
    {
        try
        {
            await _app.Backend.StoreAsync(meta).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(ex, meta.TaskId, "stored state");
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Task {Id}: could not send {Signature}")]
    private partial void LogSendFailed(Exception ex, string id, string signature);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Chord {GroupId}: the join failed for task {Id}")]
    private partial void LogChordJoinFailed(Exception ex, string groupId, string id);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Chord callback {Id} failed: {Error}")]
    private partial void LogChordFailed(string id, string error);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Errback {Errback} of task {Id} raised")]
    private partial void LogErrbackFailed(Exception ex, string errback, string id);
}
