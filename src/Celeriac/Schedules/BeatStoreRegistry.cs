namespace Celeriac.Schedules;

/// <summary>
/// Beat stores by broker URL scheme: a broker with a registered store (Redis) keeps beat's state and leader lease on
/// the same server; any other broker uses the local schedule file.
/// </summary>
public sealed class BeatStoreRegistry : SchemeRegistry<BeatStoreContext, IBeatStore>
{
    /// <summary>Creates an empty registry.</summary>
    public BeatStoreRegistry()
        : base("broker_url", "beat store")
    {
    }

    /// <summary>The store registered for <paramref name="context"/>'s scheme, or null.</summary>
    public IBeatStore? TryCreate(BeatStoreContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return IsRegistered(context.Url.Scheme) ? Create(context.Url, context) : null;
    }
}
