namespace Celeriac.Schedules;

/// <summary>What beat persists for one entry.</summary>
/// <param name="Task">The task name (so a reader without the definitions can show it).</param>
/// <param name="LastRunAt">When it last ran (or was first seen), in the app's zone.</param>
/// <param name="TotalRunCount">How many times it was sent.</param>
public sealed record BeatEntryState(string Task, DateTimeOffset LastRunAt, long TotalRunCount);
