namespace Celeriac.Dashboard;

/// <summary>
/// Who may use the dashboard: a basic-auth user (<see cref="Name"/> and <see cref="Secret"/> as the password) or a
/// bearer token (<see cref="Name"/> null, <see cref="Secret"/> the token), and what they may do.
/// </summary>
public sealed record DashboardAccount
{
    /// <summary>The basic-auth user name; null for a bearer token.</summary>
    public string? Name { get; init; }

    /// <summary>The password, or the bearer token.</summary>
    public required string Secret { get; init; }

    /// <summary>What the account may do.</summary>
    public DashboardRole Role { get; init; } = DashboardRole.Operator;

    /// <summary>A basic-auth user.</summary>
    public static DashboardAccount User(string name, string password, DashboardRole role = DashboardRole.Operator) => new() { Name = name, Secret = password, Role = role };

    /// <summary>A bearer token.</summary>
    public static DashboardAccount Token(string token, DashboardRole role = DashboardRole.Operator) => new() { Secret = token, Role = role };

    /// <summary>
    /// Parses Flower's <c>--basic-auth</c> form, <c>user:password[,user2:password2]</c>; the password is everything after
    /// the first colon.
    /// </summary>
    /// <exception cref="CeleriacConfigurationException">An entry has no colon, no name or no password.</exception>
    public static IReadOnlyList<DashboardAccount> ParseUsers(string option, string value, DashboardRole role)
    {
        ArgumentNullException.ThrowIfNull(value);
        var accounts = new List<DashboardAccount>();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == entry.Length - 1)
            {
                throw new CeleriacConfigurationException(option, "expected user:password (several separated by commas)");
            }

            accounts.Add(User(entry[..colon], entry[(colon + 1)..], role));
        }

        return accounts;
    }

    /// <summary>Parses comma-separated bearer tokens.</summary>
    public static IReadOnlyList<DashboardAccount> ParseTokens(string option, string value, DashboardRole role)
    {
        ArgumentNullException.ThrowIfNull(value);
        var tokens = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tokens.Length == 0)
        {
            throw new CeleriacConfigurationException(option, "expected one or more tokens separated by commas");
        }

        return [.. tokens.Select(t => Token(t, role))];
    }

    internal void Validate()
    {
        if (string.IsNullOrEmpty(Secret))
        {
            throw new CeleriacConfigurationException(Name is null ? "--auth-token" : "--basic-auth", "an account has an empty secret");
        }

        if (Name is null && Secret.Length < 16)
        {
            throw new CeleriacConfigurationException("--auth-token", "a bearer token must be at least 16 characters long");
        }
    }
}
