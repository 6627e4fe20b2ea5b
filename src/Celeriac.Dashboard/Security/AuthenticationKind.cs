namespace Celeriac.Dashboard.Security;

/// <summary>How a request was authenticated.</summary>
internal enum AuthenticationKind
{
    /// <summary>No accounts are configured (loopback, or explicitly insecure).</summary>
    Anonymous,

    /// <summary>HTTP basic: a browser sends it by itself, so actions need the CSRF token.</summary>
    Basic,

    /// <summary>A bearer token: never sent by a browser on its own, so no CSRF token is needed.</summary>
    Bearer,
}
