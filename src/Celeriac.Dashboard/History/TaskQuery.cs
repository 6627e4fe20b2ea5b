namespace Celeriac.Dashboard.History;

/// <summary>A page of the task list: filters (all optional, combined with AND), search, order and window.</summary>
internal sealed record TaskQuery
{
    /// <summary>States to keep (any of them).</summary>
    public IReadOnlyList<string> States { get; init; } = [];

    /// <summary>Exact task name.</summary>
    public string? Name { get; init; }

    /// <summary>Exact worker node name.</summary>
    public string? Worker { get; init; }

    /// <summary>First seen at or after (UNIX seconds).</summary>
    public double? SeenFrom { get; init; }

    /// <summary>First seen before (UNIX seconds).</summary>
    public double? SeenTo { get; init; }

    /// <summary>Received at or after (UNIX seconds; Flower's <c>received_start</c>).</summary>
    public double? ReceivedFrom { get; init; }

    /// <summary>Received before (UNIX seconds; Flower's <c>received_end</c>).</summary>
    public double? ReceivedTo { get; init; }

    /// <summary>Search text (see <see cref="TaskSearch"/>).</summary>
    public string? Search { get; init; }

    /// <summary>The column to order by (see <see cref="TaskSort"/>).</summary>
    public TaskSort Sort { get; init; } = TaskSort.Seen;

    /// <summary>Newest (largest) first.</summary>
    public bool Descending { get; init; } = true;

    public int Offset { get; init; }

    public int Limit { get; init; } = 50;
}
