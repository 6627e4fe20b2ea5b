namespace Celeriac;

/// <summary>Result settings.</summary>
public sealed record ResultOptions
{
    /// <summary><c>result_expires</c>: how long stored results live; null keeps them. One day by default.</summary>
    public TimeSpan? Expires { get; init; } = TimeSpan.FromDays(1);

    /// <summary><c>result_extended</c>: also store name, args, kwargs, worker, retries, queue.</summary>
    public bool Extended { get; init; }
}
