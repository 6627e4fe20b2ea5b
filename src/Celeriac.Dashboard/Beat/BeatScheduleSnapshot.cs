namespace Celeriac.Dashboard.Beat;

/// <summary>The schedule at one moment: its entries, and which beat instance holds the leader lock, when known.</summary>
/// <param name="Entries">The entries, in the scheduler's order.</param>
/// <param name="Leader">The beat instance running the schedule now (only one runs it even when several are started).</param>
/// <param name="UpdatedAt">When the scheduler last wrote the schedule.</param>
public sealed record BeatScheduleSnapshot(IReadOnlyList<BeatEntryView> Entries, string? Leader = null, DateTimeOffset? UpdatedAt = null)
{
    /// <summary>
    /// Whether <see cref="Leader"/> holds the lease now (true) or is only the last one recorded (false: a file store's
    /// leader, whose process may have stopped since).
    /// </summary>
    public bool LeaderIsCurrent { get; init; } = true;
}
