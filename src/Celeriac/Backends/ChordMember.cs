using System.Text.Json.Nodes;

namespace Celeriac.Backends;

/// <summary>One finished header task of a chord, as the join reads it back.</summary>
/// <param name="TaskId">The header task's id.</param>
/// <param name="Status">Its final state.</param>
/// <param name="Result">Its result, or the exception dict.</param>
public sealed record ChordMember(string TaskId, string Status, JsonNode? Result);
