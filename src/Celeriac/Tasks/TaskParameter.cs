using System.Reflection;

namespace Celeriac.Tasks;

/// <summary>How one parameter of a task method gets its value.</summary>
internal enum ParameterKind
{
    /// <summary>From a positional or keyword argument.</summary>
    Argument,

    /// <summary>The remaining positional arguments (<c>params T[]</c>).</summary>
    RestArgs,

    /// <summary>The remaining keyword arguments (<c>[TaskKwargs]</c>).</summary>
    RestKwargs,

    /// <summary>The task's cancellation token.</summary>
    CancellationToken,

    /// <summary>The <see cref="TaskContext"/>.</summary>
    Context,
}

/// <summary>One parameter of a task method and how it binds.</summary>
internal sealed record TaskParameter(ParameterInfo Info, ParameterKind Kind)
{
    public string Name => Info.Name ?? "arg" + Info.Position;

    public Type Type => Info.ParameterType;

    // Python callers write snake_case; C# parameters are camelCase. Both normalise to the same key.
    public string NormalizedName { get; } = Normalize(Info.Name ?? string.Empty);

    public static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
}
