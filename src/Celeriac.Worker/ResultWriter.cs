using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Tasks;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker;

/// <summary>Builds Celery's result meta for a request and stores it; storage errors are logged, not thrown.</summary>
internal sealed class ResultWriter
{
    private readonly CeleriacApp _app;
    private readonly string _hostname;
    private readonly ILogger _logger;

    public ResultWriter(CeleriacApp app, string hostname, ILogger logger)
    {
        _app = app;
        _hostname = hostname;
        _logger = logger;
        Canvas = new CanvasSteps(app, logger);
    }

    /// <summary>The workflow steps that follow a task's end.</summary>
    public CanvasSteps Canvas { get; }

    public ResultMeta Meta(TaskRequest request, string status, JsonNode? result, string? traceback = null)
    {
        var extended = _app.Options.Result.Extended;
        return new ResultMeta
        {
            TaskId = request.Id,
            Status = status,
            Result = result,
            Traceback = traceback,
            Children = [],
            DateDone = TaskStates.IsReady(status) ? _app.TimeProvider.GetUtcNow().UtcDateTime : null,
            GroupId = request.GroupId,
            ParentId = request.ParentId,
            Name = extended ? request.TaskName : null,
            Args = extended ? request.Args : null,
            Kwargs = extended ? request.Kwargs : null,
            Worker = extended ? _hostname : null,
            Retries = extended ? request.Retries : null,
            Queue = extended ? request.RoutingKey : null,
            ReplyTo = request.Message.Properties.ReplyTo,
            CorrelationId = request.Message.Properties.CorrelationId,
        };
    }

    /// <summary>
    /// Stores a state; after a FAILURE or REVOKED the workflow follows (chain steps fail, errbacks, chord join).
    /// A SUCCESS's workflow is the caller's: its callbacks go out before the result is stored.
    /// </summary>
    public async ValueTask StoreAsync(TaskRequest request, string status, JsonNode? result, string? traceback = null, JsonArray? children = null)
    {
        var meta = Meta(request, status, result, traceback);
        if (children is { Count: > 0 })
        {
            meta = meta with { Children = children };
        }

        try
        {
            await _app.Backend.StoreAsync(meta).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.StoreFailed(request.Id, ex);
        }

        if (TaskStates.Propagates(status))
        {
            await Canvas.OnFailedAsync(request, meta).ConfigureAwait(false);
        }
    }

    /// <summary>Stores a state for a message that could not become a request (no definition, bad body).</summary>
    public async ValueTask StoreRawAsync(string taskId, string status, ExceptionInfo error, string? traceback = null, MessageProperties? properties = null)
    {
        try
        {
            await _app.Backend.StoreAsync(new ResultMeta
            {
                TaskId = taskId,
                Status = status,
                Result = error.ToJson(),
                Traceback = traceback,
                Children = [],
                DateDone = _app.TimeProvider.GetUtcNow().UtcDateTime,
                ReplyTo = properties?.ReplyTo,
                CorrelationId = properties?.CorrelationId,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.StoreFailed(taskId, ex);
        }
    }
}
