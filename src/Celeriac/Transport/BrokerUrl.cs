using System.Globalization;

namespace Celeriac.Transport;

/// <summary>
/// A parsed broker or backend URL: <c>scheme://[user[:password]@]host[:port][/path][?query]</c>, with
/// percent-decoding as kombu does. <c>sqlite:///relative.db</c> and <c>sqlite:////abs/path.db</c> follow
/// SQLAlchemy's convention; <c>memory://</c> may name an in-process instance in the host part.
/// Source: kombu/utils/url.py (parse_url).
/// </summary>
public sealed record BrokerUrl
{
    /// <summary>The scheme, lower case (<c>redis</c>, <c>amqp</c>, <c>sqlite</c>, <c>memory</c>, ...).</summary>
    public required string Scheme { get; init; }

    /// <summary>The host, or empty.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The port, when given.</summary>
    public int? Port { get; init; }

    /// <summary>The user name, decoded.</summary>
    public string? UserName { get; init; }

    /// <summary>The password, decoded.</summary>
    public string? Password { get; init; }

    /// <summary>The path after the authority, without the first <c>/</c>, decoded.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Query parameters.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>The original text.</summary>
    public required string Original { get; init; }

    /// <summary>The URL with the password masked, for logs.</summary>
    public string Redacted => Password is null ? Original : Original.Replace(":" + Uri.EscapeDataString(Password) + "@", ":**@", StringComparison.Ordinal).Replace(":" + Password + "@", ":**@", StringComparison.Ordinal);

    /// <summary>Parses a URL.</summary>
    /// <exception cref="FormatException">The text is not a URL of this form; the message says why.</exception>
    public static BrokerUrl Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new FormatException("the URL is empty");
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw new FormatException($"'{url}' is not a URL: expected scheme://..., e.g. sqlite:///celeriac.db or redis://localhost:6379/0");
        }

        var scheme = url[..schemeEnd].ToLowerInvariant();
        var rest = url[(schemeEnd + 3)..];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                query[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }

            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? string.Empty : rest[(slash + 1)..];
        string? user = null, password = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            if (user.Length == 0)
            {
                user = null;
            }
        }

        int? port = null;
        var host = authority;
        var portSep = authority.LastIndexOf(':');
        if (portSep >= 0 && !authority.EndsWith(']'))
        {
            var portText = authority[(portSep + 1)..];
            host = authority[..portSep];
            if (portText.Length > 0)
            {
                if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                {
                    throw new FormatException($"'{url}': port '{portText}' is not a number from 1 to 65535");
                }

                port = p;
            }
        }

        return new BrokerUrl
        {
            Scheme = scheme,
            Host = Uri.UnescapeDataString(host),
            Port = port,
            UserName = user,
            Password = password,
            Path = Uri.UnescapeDataString(path),
            Query = query,
            Original = url,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Redacted;
}
