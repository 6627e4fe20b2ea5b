namespace Celeriac.Transport;

/// <summary>What a transport does natively.</summary>
/// <param name="Name">The transport's name, as in <c>inspect stats</c> (<c>memory</c>, <c>sqlite</c>, <c>redis</c>, <c>amqp</c>).</param>
/// <param name="SurvivesProcessCrash">Messages and unacked deliveries outlive the process.</param>
/// <param name="CrossProcess">Several processes can share the broker.</param>
/// <param name="SupportsPriority">Message priority changes delivery order.</param>
public sealed record TransportCapabilities(string Name, bool SurvivesProcessCrash, bool CrossProcess, bool SupportsPriority);
