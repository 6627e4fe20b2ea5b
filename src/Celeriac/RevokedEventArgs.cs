namespace Celeriac;

/// <summary>Which ids were revoked and whether running ones should be terminated.</summary>
public sealed class RevokedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    public RevokedEventArgs(IReadOnlyCollection<string> taskIds, bool terminate)
    {
        TaskIds = taskIds;
        Terminate = terminate;
    }

    /// <summary>The revoked ids.</summary>
    public IReadOnlyCollection<string> TaskIds { get; }

    /// <summary>Whether running tasks should be cancelled.</summary>
    public bool Terminate { get; }
}
