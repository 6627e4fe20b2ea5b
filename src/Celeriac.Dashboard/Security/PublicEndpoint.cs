namespace Celeriac.Dashboard.Security;

/// <summary>Marks an endpoint that answers without authentication (<c>/healthcheck</c>, which says only "OK").</summary>
internal sealed class PublicEndpoint
{
    public static PublicEndpoint Instance { get; } = new();
}
