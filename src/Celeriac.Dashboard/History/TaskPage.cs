namespace Celeriac.Dashboard.History;

/// <summary>One page of matching tasks and how many match in all.</summary>
internal sealed record TaskPage(long Total, IReadOnlyList<TaskRecord> Items);
