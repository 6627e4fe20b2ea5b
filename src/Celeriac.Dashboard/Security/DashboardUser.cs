namespace Celeriac.Dashboard.Security;

/// <summary>Who made a request, how they proved it, what they may do, and the CSRF token their pages must send back.</summary>
internal sealed record DashboardUser(string Name, DashboardRole Role, AuthenticationKind Kind, string CsrfToken);
