namespace Celeriac.Dashboard;

/// <summary>What an account may do.</summary>
public enum DashboardRole
{
    /// <summary>See everything; change nothing.</summary>
    ReadOnly,

    /// <summary>See everything and act: revoke, retry, send tasks, control workers.</summary>
    Operator,
}
