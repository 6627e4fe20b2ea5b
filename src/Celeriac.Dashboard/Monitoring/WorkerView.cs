using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>A worker as the pages show it: what its heartbeats say, and what it last answered to inspect.</summary>
internal sealed record WorkerView
{
    public required string Hostname { get; init; }

    /// <summary>A heartbeat arrived within two intervals and it did not say goodbye.</summary>
    public bool Online { get; init; }

    /// <summary>When its last event arrived (dashboard's clock, UNIX seconds); null when never seen by this process.</summary>
    public double? LastHeartbeat { get; init; }

    public double Freq { get; init; } = 2.0;

    public int Active { get; init; }

    public long Processed { get; init; }

    public IReadOnlyList<double> LoadAverage { get; init; } = [];

    public string? Software { get; init; }

    public long? Pid { get; init; }

    /// <summary>The pool's size (<c>stats.pool.max-concurrency</c>), once inspected.</summary>
    public int? PoolSize { get; init; }

    /// <summary>The queues it consumes (<c>active_queues</c>), once inspected.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];

    /// <summary>Its last replies to <c>stats</c>, <c>active_queues</c>, <c>registered</c> and <c>conf</c>, by command.</summary>
    public JsonObject? Info { get; init; }
}
