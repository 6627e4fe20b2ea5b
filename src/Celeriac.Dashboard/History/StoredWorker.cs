using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.History;

/// <summary>A worker as the history file last recorded it (last seen on the dashboard's clock, UNIX seconds).</summary>
internal sealed record StoredWorker(string Hostname, double LastSeen, bool Offline, JsonObject? LastEvent, JsonObject? Info);
