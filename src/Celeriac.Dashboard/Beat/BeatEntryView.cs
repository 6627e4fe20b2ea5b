using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.Beat;

/// <summary>One periodic task as the Beat page shows it (the fields of Celery's <c>ScheduleEntry</c>).</summary>
public sealed record BeatEntryView
{
    /// <summary>The entry's name (the <c>beat_schedule</c> key).</summary>
    public required string Name { get; init; }

    /// <summary>The task it sends.</summary>
    public required string Task { get; init; }

    /// <summary>The schedule in words, e.g. <c>every 30 seconds</c> or <c>crontab(0 */2 * * *)</c>.</summary>
    public required string Schedule { get; init; }

    /// <summary>Positional arguments sent.</summary>
    public JsonArray? Args { get; init; }

    /// <summary>Keyword arguments sent.</summary>
    public JsonObject? Kwargs { get; init; }

    /// <summary>The queue it is sent to, when set.</summary>
    public string? Queue { get; init; }

    /// <summary>When it last ran.</summary>
    public DateTimeOffset? LastRunAt { get; init; }

    /// <summary>When it runs next.</summary>
    public DateTimeOffset? NextRunAt { get; init; }

    /// <summary>How many times it ran.</summary>
    public long TotalRunCount { get; init; }

    /// <summary>Whether it is enabled.</summary>
    public bool Enabled { get; init; } = true;
}
