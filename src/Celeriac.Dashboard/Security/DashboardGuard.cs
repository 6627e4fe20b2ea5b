using System.Net;
using System.Security.Cryptography;
using System.Text;
using Celeriac.Dashboard.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Celeriac.Dashboard.Security;

/// <summary>
/// Every dashboard request passes here. Secure by default:
/// <list type="bullet">
/// <item>with accounts, a request needs HTTP basic credentials or a bearer token (401 and a login prompt otherwise);</item>
/// <item>without accounts, the dashboard answers only on a loopback address and to a loopback <c>Host</c> (so a web page
/// cannot reach it by DNS rebinding), unless <see cref="DashboardOptions.Insecure"/> is set;</item>
/// <item>actions (any non-GET) need the operator role, and, from a browser, the page's CSRF token and a same-origin
/// <c>Origin</c> — a bearer token is never sent by a browser on its own, so token clients need no CSRF token;</item>
/// <item>pages may not be framed, and scripts run only from the dashboard itself (CSP).</item>
/// </list>
/// </summary>
internal sealed class DashboardGuard : IEndpointFilter
{
    public const string CsrfHeader = "X-CSRF-Token";
    private const string UserKey = "celeriac.dashboard.user";
    private const string Challenge = "Basic realm=\"Celeriac dashboard\", charset=\"UTF-8\"";

    private readonly DashboardContext _dashboard;
    private readonly byte[] _csrfKey = RandomNumberGenerator.GetBytes(32);
    private readonly (DashboardAccount Account, byte[] SecretHash)[] _accounts;

    public DashboardGuard(DashboardContext dashboard)
    {
        _dashboard = dashboard;
        _accounts = [.. dashboard.Options.Accounts.Select(a => (a, Hash(a.Secret)))];
    }

    /// <summary>The user of a request that passed the guard.</summary>
    public static DashboardUser UserOf(HttpContext http) =>
        http.Items.TryGetValue(UserKey, out var u) && u is DashboardUser user ? user : throw new InvalidOperationException("the request did not pass the dashboard guard");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

        if (http.GetEndpoint()?.Metadata.GetMetadata<PublicEndpoint>() is not null)
        {
            return await next(context).ConfigureAwait(false);
        }

        var (user, refusal) = Authenticate(http);
        if (user is null)
        {
            return refusal;
        }

        http.Items[UserKey] = user;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            if (user.Role != DashboardRole.Operator)
            {
                return JsonResults.Error(403, _dashboard.Options.ReadOnly ? "Read only mode is enabled" : $"'{user.Name}' is a read-only account");
            }

            if (user.Kind != AuthenticationKind.Bearer && FromBrowser(http.Request) && CsrfRefusal(http.Request, user) is { } csrf)
            {
                return JsonResults.Error(403, csrf);
            }
        }

        if (!_dashboard.Started)
        {
            return JsonResults.Error(503, "the dashboard is starting");
        }

        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            return JsonResults.Error(400, ex.Message);
        }
    }

    private (DashboardUser? User, IResult? Refusal) Authenticate(HttpContext http)
    {
        var options = _dashboard.Options;
        if (_accounts.Length == 0)
        {
            if (!options.Insecure)
            {
                if (http.Connection.LocalIpAddress is not { } local || !IPAddress.IsLoopback(local))
                {
                    return (null, JsonResults.Error(403, "This dashboard has no accounts, so it only answers on a loopback address. Configure --basic-auth or --auth-token, or pass --insecure to serve it open."));
                }

                if (!IsLoopbackHost(http.Request.Host.Host))
                {
                    return (null, JsonResults.Error(403, $"Host '{http.Request.Host.Host}' refused: a dashboard without accounts answers only to localhost or a loopback address."));
                }
            }

            return (new DashboardUser("anonymous", options.ReadOnly ? DashboardRole.ReadOnly : DashboardRole.Operator, AuthenticationKind.Anonymous, Csrf("anonymous")), null);
        }

        var header = http.Request.Headers.Authorization.ToString();
        DashboardUser? user = null;
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            user = Basic(header["Basic ".Length..].Trim());
        }
        else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            user = Bearer(header["Bearer ".Length..].Trim());
        }

        if (user is null)
        {
            http.Response.Headers.WWWAuthenticate = Challenge;
            return (null, JsonResults.Error(401, header.Length == 0 ? "authentication required" : "wrong credentials"));
        }

        return (options.ReadOnly ? user with { Role = DashboardRole.ReadOnly } : user, null);
    }

    private DashboardUser? Basic(string encoded)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }

        var name = decoded[..colon];
        var secret = Hash(decoded[(colon + 1)..]);
        DashboardAccount? match = null;
        foreach (var (account, hash) in _accounts)
        {
            // Every account is compared, in constant time, so timing tells nothing about which names exist.
            var ok = account.Name is not null & string.Equals(account.Name, name, StringComparison.Ordinal) & CryptographicOperations.FixedTimeEquals(hash, secret);
            if (ok)
            {
                match = account;
            }
        }

        return match is null ? null : new DashboardUser(name, match.Role, AuthenticationKind.Basic, Csrf("basic:" + name));
    }

    private DashboardUser? Bearer(string token)
    {
        var secret = Hash(token);
        DashboardAccount? match = null;
        var number = 0;
        for (var i = 0; i < _accounts.Length; i++)
        {
            var (account, hash) = _accounts[i];
            if (account.Name is null & CryptographicOperations.FixedTimeEquals(hash, secret))
            {
                match = account;
                number = i + 1;
            }
        }

        // Named by its place in the configuration: no part of a secret is ever shown.
        return match is null ? null : new DashboardUser($"token #{number}", match.Role, AuthenticationKind.Bearer, Csrf($"bearer:{number}"));
    }

    private static bool FromBrowser(HttpRequest request) =>
        request.Headers.ContainsKey("Sec-Fetch-Site") || request.Headers.ContainsKey("Sec-Fetch-Mode") || request.Headers.Origin.Count > 0;

    private static string? CsrfRefusal(HttpRequest request, DashboardUser user)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var o) || !string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return $"cross-origin request from {origin} refused";
        }

        var sent = request.Headers[CsrfHeader].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(user.CsrfToken))
            ? null
            : $"missing or wrong {CsrfHeader} header: actions from a browser need the token the page was given";
    }

    private string Csrf(string subject) => WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_csrfKey, Encoding.UTF8.GetBytes(subject)));

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    internal static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
