namespace Celeriac.Dashboard.Monitoring;

/// <summary>One server-sent event: its name (<c>task</c>, <c>worker</c>, <c>queues</c>) and JSON data.</summary>
internal sealed record LiveMessage(string Type, string Json);
