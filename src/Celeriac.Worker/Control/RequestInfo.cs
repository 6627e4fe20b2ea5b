using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Worker.Control;

/// <summary>
/// A request as <c>inspect active/reserved/scheduled/query_task</c> show it. Source: celery/worker/request.py (Request.info).
/// </summary>
internal static class RequestInfo
{
    public static JsonObject Of(WorkerRequest r, bool safe = false)
    {
        var request = r.Request;
        return new JsonObject
        {
            ["id"] = request.Id,
            ["name"] = request.DisplayName,
            ["args"] = safe ? PythonRepr.Args(request.Args) : request.Args.DeepClone(),
            ["kwargs"] = safe ? PythonRepr.Of(request.Kwargs) : request.Kwargs.DeepClone(),
            ["type"] = request.TaskName,
            ["hostname"] = request.Hostname,
            ["time_start"] = r.StartedAt is { } started ? WireTime.ToUnixSeconds(started) : null,
            ["acknowledged"] = r.Acknowledged,
            ["delivery_info"] = new JsonObject
            {
                ["exchange"] = request.Exchange,
                ["routing_key"] = request.RoutingKey,
                ["priority"] = request.Priority ?? 0,
                ["redelivered"] = request.Redelivered,
            },
            ["worker_pid"] = r.StartedAt is null ? null : Environment.ProcessId,
        };
    }
}
