using System.Text.Json.Nodes;

namespace Celeriac.Events;

/// <summary>A worker as monitors see it through its events.</summary>
public sealed record WorkerInfo
{
    /// <summary>The node name.</summary>
    public required string Hostname { get; init; }

    /// <summary>Heartbeat interval in seconds (<c>freq</c>).</summary>
    public double Freq { get; init; } = 2.0;

    /// <summary>Tasks running at the last heartbeat.</summary>
    public int Active { get; init; }

    /// <summary>Tasks processed at the last heartbeat.</summary>
    public long Processed { get; init; }

    /// <summary>1, 5 and 15 minute load.</summary>
    public IReadOnlyList<double> LoadAverage { get; init; } = [];

    /// <summary><c>sw_ident</c>, <c>sw_ver</c>, <c>sw_sys</c>.</summary>
    public string? Software { get; init; }

    /// <summary>When the last worker event was received (local clock).</summary>
    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Whether the last event was <c>worker-offline</c>.</summary>
    public bool Offline { get; init; }

    /// <summary>The last worker event as received.</summary>
    public JsonObject? LastEvent { get; init; }

    /// <summary>
    /// Alive while a heartbeat arrived within two intervals and the worker did not say goodbye.
    /// Source: celery/events/state.py (Worker.alive, HEARTBEAT_EXPIRE_WINDOW = 200).
    /// </summary>
    public bool IsAlive(DateTimeOffset now) => !Offline && LastHeartbeat is { } last && now < last + TimeSpan.FromSeconds(Freq * 2.0);
}
