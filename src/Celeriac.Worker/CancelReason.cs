namespace Celeriac.Worker;

/// <summary>Why a running task's token fired.</summary>
internal enum CancelReason
{
    /// <summary>Not cancelled.</summary>
    None,

    /// <summary>The soft time limit passed.</summary>
    SoftTimeLimit,

    /// <summary>The hard time limit passed.</summary>
    HardTimeLimit,

    /// <summary>Revoked with terminate.</summary>
    Terminated,

    /// <summary>Cold shutdown.</summary>
    Shutdown,
}
