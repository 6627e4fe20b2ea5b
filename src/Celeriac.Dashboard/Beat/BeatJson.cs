using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Dashboard.Beat;

/// <summary>The Beat page's JSON.</summary>
internal static class BeatJson
{
    public static JsonObject Schedule(BeatScheduleSnapshot schedule, string description) => new()
    {
        ["configured"] = true,
        ["source"] = description,
        ["leader"] = schedule.Leader,
        ["leaderCurrent"] = schedule.LeaderIsCurrent,
        ["updatedAt"] = schedule.UpdatedAt is { } u ? WireTime.ToUnixSeconds(u) : null,
        ["entries"] = new JsonArray([.. schedule.Entries.Select(e => (JsonNode)new JsonObject
        {
            ["name"] = e.Name,
            ["task"] = e.Task,
            ["schedule"] = e.Schedule,
            ["args"] = e.Args?.DeepClone(),
            ["kwargs"] = e.Kwargs?.DeepClone(),
            ["queue"] = e.Queue,
            ["lastRunAt"] = e.LastRunAt is { } l ? WireTime.ToUnixSeconds(l) : null,
            ["nextRunAt"] = e.NextRunAt is { } n ? WireTime.ToUnixSeconds(n) : null,
            ["totalRunCount"] = e.TotalRunCount,
            ["enabled"] = e.Enabled,
        })]),
    };
}
