using System.Text.Json.Nodes;
using Celeriac.Dashboard.History;
using Celeriac.Dashboard.Monitoring;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// The JSON the pages and the API speak. Flower's shapes (<see cref="FlowerTask"/>) use its field names; the pages'
/// own shapes use camelCase.
/// </summary>
internal static class DashboardJson
{
    /// <summary>
    /// A task as Flower's <c>/api/tasks</c> and <c>/api/task/info</c> return it (celery.events.state.Task.as_dict, with
    /// the worker's name). Source: flower/api/tasks.py, celery/events/state.py (Task._fields).
    /// </summary>
    public static JsonObject FlowerTask(TaskRecord t) => new()
    {
        ["uuid"] = t.Id,
        ["name"] = t.Name,
        ["state"] = t.State,
        ["received"] = t.Received,
        ["sent"] = t.Sent,
        ["started"] = t.Started,
        ["rejected"] = t.Rejected,
        ["succeeded"] = t.Succeeded,
        ["failed"] = t.Failed,
        ["retried"] = t.Retried,
        ["revoked"] = t.Revoked,
        ["args"] = t.Args,
        ["kwargs"] = t.Kwargs,
        ["eta"] = t.Eta,
        ["expires"] = t.Expires,
        ["retries"] = t.Retries,
        ["worker"] = t.Worker,
        ["result"] = t.Result,
        ["exception"] = t.Exception,
        ["timestamp"] = t.Timestamp,
        ["runtime"] = t.Runtime,
        ["traceback"] = t.Traceback,
        ["exchange"] = t.Exchange,
        ["routing_key"] = t.RoutingKey,
        ["clock"] = t.Clock,
        ["client"] = t.Client,
        ["root_id"] = t.RootId,
        ["parent_id"] = t.ParentId,
    };

    /// <summary>A row of the task list (and of live updates).</summary>
    public static JsonObject TaskRow(TaskRecord t) => new()
    {
        ["id"] = t.Id,
        ["name"] = t.Name,
        ["state"] = t.State,
        ["worker"] = t.Worker,
        ["args"] = t.Args,
        ["kwargs"] = t.Kwargs,
        ["result"] = t.Result,
        ["exception"] = t.Exception,
        ["seen"] = t.FirstSeen,
        ["received"] = t.Received,
        ["started"] = t.Started,
        ["finished"] = t.Finished,
        ["runtime"] = t.Runtime,
        ["retries"] = t.Retries,
        ["retryOf"] = t.RetryOf,
        ["parentId"] = t.ParentId,
    };

    /// <summary>Everything the task page shows that the record holds.</summary>
    public static JsonObject TaskDetail(TaskRecord t)
    {
        var o = TaskRow(t);
        o["traceback"] = t.Traceback;
        o["client"] = t.Client;
        o["sent"] = t.Sent;
        o["succeeded"] = t.Succeeded;
        o["failed"] = t.Failed;
        o["retried"] = t.Retried;
        o["revoked"] = t.Revoked;
        o["rejected"] = t.Rejected;
        o["timestamp"] = t.Timestamp;
        o["eta"] = t.Eta;
        o["expires"] = t.Expires;
        o["rootId"] = t.RootId;
        o["exchange"] = t.Exchange;
        o["routingKey"] = t.RoutingKey;
        o["clock"] = t.Clock;
        o["events"] = t.EventCount;
        return o;
    }

    /// <summary>A worker as the workers page shows it.</summary>
    public static JsonObject Worker(WorkerView w) => new()
    {
        ["hostname"] = w.Hostname,
        ["online"] = w.Online,
        ["lastHeartbeat"] = w.LastHeartbeat,
        ["freq"] = w.Freq,
        ["active"] = w.Active,
        ["processed"] = w.Processed,
        ["load"] = new JsonArray([.. w.LoadAverage.Select(l => (JsonNode)l)]),
        ["software"] = w.Software,
        ["pid"] = w.Pid,
        ["pool"] = w.PoolSize,
        ["queues"] = new JsonArray([.. w.Queues.Select(q => (JsonNode)q)]),
    };
}
