using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Canvas;
using Celeriac.Protocol;
using Celeriac.Tasks;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>
/// What the worker does for a task's workflow once the body has ended, in Celery's order: on success the
/// <c>link</c> callbacks and the next <c>chain</c> step are sent (with the result prepended) before the result is
/// stored; on failure the error is also stored under every pending chain step's id and the errbacks are sent with the
/// failed id; in any end state a chord header task takes part in the chord's join, and the last one sends the body
/// (or fails it with <c>ChordError</c>). A send that fails is logged; the task's own outcome stands.
/// Source: celery/app/trace.py (build_tracer), celery/backends/base.py (mark_as_failure, _call_task_errbacks),
/// celery/backends/redis.py (on_chord_part_return).
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

    /// <summary>Sends the callbacks and the next chain step; returns the result tuples for the meta's <c>children</c>.</summary>
    public async ValueTask<JsonArray> OnSuccessAsync(TaskRequest request, JsonNode? result)
    {
        var children = new JsonArray();
        var embed = request.Message.Embed;
        foreach (var callback in embed.Callbacks ?? [])
        {
            if (await SendAsync(request, callback, [result?.DeepClone()], null).ConfigureAwait(false) is { } sent)
            {
                children.Add(sent);
            }
        }

        if (embed.Chain is { Count: > 0 } chain)
        {
            var rest = new JsonArray();
            for (var i = 0; i < chain.Count - 1; i++)
            {
                rest.Add(chain[i]?.DeepClone());
            }

            if (await SendAsync(request, chain[^1], [result?.DeepClone()], new JsonObject { ["chain"] = rest }).ConfigureAwait(false) is { } sent)
            {
                children.Add(sent);
            }
        }

        return children;
    }

    /// <summary>After a stored FAILURE or REVOKED: chain steps fail too, errbacks are sent (FAILURE only), the chord part returns.</summary>
    public async ValueTask OnFailedAsync(TaskRequest request, ResultMeta meta)
    {
        var embed = request.Message.Embed;
        foreach (var step in embed.Chain ?? [])
        {
            if (step is JsonObject { } s && s["options"]?["task_id"] is JsonValue v && v.TryGetValue<string>(out var stepId))
            {
                await StoreQuietlyAsync(meta with { TaskId = stepId, Children = [], GroupId = null, ParentId = null }).ConfigureAwait(false);
            }
        }

        if (meta.Status == TaskStates.Failure)
        {
            foreach (var errback in embed.Errbacks ?? [])
            {
                await SendAsync(request, errback, [request.Id], null).ConfigureAwait(false);
            }
        }

        await ChordPartAsync(request, meta).ConfigureAwait(false);
    }

    /// <summary>A chord header task's part in the join; the last one sends the body, or fails it.</summary>
    public async ValueTask ChordPartAsync(TaskRequest request, ResultMeta meta)
    {
        if (request.Message.Embed.Chord is not { } chord || request.GroupId is not { } groupId)
        {
            return;
        }

        IReadOnlyList<ChordMember>? members;
        try
        {
            members = await _app.Backend.ChordPartReturnAsync(groupId, request.Message.Headers.GroupIndex, meta).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogChordJoinFailed(ex, groupId, request.Id);
            return;
        }

        if (members is null)
        {
            return;
        }

        var culprit = members.FirstOrDefault(m => TaskStates.Propagates(m.Status));
        if (culprit is null)
        {
            var results = new JsonArray();
            foreach (var m in members)
            {
                results.Add(m.Result?.DeepClone());
            }

            await SendAsync(request, chord, [results], null).ConfigureAwait(false);
            return;
        }

        await FailChordBodyAsync(request, chord, culprit).ConfigureAwait(false);
    }

    private async ValueTask FailChordBodyAsync(TaskRequest request, JsonObject chord, ChordMember culprit)
    {
        Signature body;
        try
        {
            body = Signature.FromJson(chord);
        }
        catch (MessageDecodeException ex)
        {
            LogSendFailed(ex, request.Id, "chord body");
            return;
        }

        var cause = culprit.Result is { } r && ExceptionInfo.FromJson(r) is { } info ? info.ToString() : culprit.Status;
        var error = ExceptionInfo.Celery("ChordError", $"Dependency {culprit.TaskId} raised {cause}");
        var bodyId = CanvasSender.ResultId(CanvasSender.Freeze(body));
        await StoreQuietlyAsync(new ResultMeta
        {
            TaskId = bodyId,
            Status = TaskStates.Failure,
            Result = error.ToJson(),
            Children = [],
            DateDone = _app.TimeProvider.GetUtcNow().UtcDateTime,
        }).ConfigureAwait(false);
        LogChordFailed(bodyId, error.ToString());
        foreach (var errback in body.Options["link_error"] as JsonArray ?? [])
        {
            await SendAsync(request, errback, [bodyId], null).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a signature dict with <paramref name="args"/> prepended, as a child of the request; returns its result tuple.</summary>
    private async ValueTask<JsonArray?> SendAsync(TaskRequest request, JsonNode? signature, JsonArray args, JsonObject? extra)
    {
        try
        {
            var sig = Signature.FromJson(signature).Apply(args, null);
            var options = extra ?? [];
            options["parent_id"] = request.Id;
            options["root_id"] = request.RootId;
            var sent = await _sender.ApplyAsync(sig, options, CancellationToken.None).ConfigureAwait(false);
            return sent is GroupResult g ? GroupResultCodec.GroupTuple(g.Id, g.Results.Select(x => x.Id)) : GroupResultCodec.TaskTuple(sent.Id);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSendFailed(ex, request.Id, signature?.ToJsonString() ?? "null");
            return null;
        }
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
}
