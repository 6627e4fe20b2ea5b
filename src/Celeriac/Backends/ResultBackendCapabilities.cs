namespace Celeriac.Backends;

/// <summary>What a result backend does.</summary>
/// <param name="Name">The backend's name (<c>memory</c>, <c>sqlite</c>, <c>redis</c>, <c>rpc</c>, <c>disabled</c>).</param>
/// <param name="Persistent">Results outlive the process.</param>
/// <param name="PushesUpdates">Waiters are woken by the store itself rather than by polling.</param>
public sealed record ResultBackendCapabilities(string Name, bool Persistent, bool PushesUpdates);
