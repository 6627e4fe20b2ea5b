namespace Celeriac.Worker;

/// <summary>
/// Worker node names, <c>name@host</c>, with Celery's <c>%h</c> (host), <c>%n</c> (host's first label) and
/// <c>%d</c> (domain) expansions. Source: celery/utils/nodenames.py.
/// </summary>
public static class NodeNames
{
    /// <summary>Expands <paramref name="pattern"/>; null gives <c>celery@&lt;host&gt;</c>; a name without <c>@</c> gets <c>@&lt;host&gt;</c>.</summary>
    public static string Resolve(string? pattern, string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var name = dot < 0 ? host : host[..dot];
        var domain = dot < 0 ? string.Empty : host[(dot + 1)..];
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "celery@" + host;
        }

        var expanded = pattern.Replace("%h", host, StringComparison.Ordinal)
            .Replace("%n", name, StringComparison.Ordinal)
            .Replace("%d", domain, StringComparison.Ordinal)
            .Replace("%%", "%", StringComparison.Ordinal);
        return expanded.Contains('@', StringComparison.Ordinal) ? expanded : expanded + "@" + host;
    }
}
