namespace Celeriac.Protocol;

/// <summary>
/// Celery's task states and their sets. Source: celery/states.py.
/// </summary>
public static class TaskStates
{
    /// <summary>Unknown id, or not stored yet.</summary>
    public const string Pending = "PENDING";

    /// <summary>Received by a worker (events only).</summary>
    public const string Received = "RECEIVED";

    /// <summary>Running (stored only with track_started).</summary>
    public const string Started = "STARTED";

    /// <summary>Finished and returned a value.</summary>
    public const string Success = "SUCCESS";

    /// <summary>Raised an exception.</summary>
    public const string Failure = "FAILURE";

    /// <summary>Revoked, expired or terminated.</summary>
    public const string Revoked = "REVOKED";

    /// <summary>Rejected by the worker (events only).</summary>
    public const string Rejected = "REJECTED";

    /// <summary>Waiting to be retried.</summary>
    public const string Retry = "RETRY";

    /// <summary>Ignored; never stored.</summary>
    public const string Ignored = "IGNORED";

    /// <summary>True for SUCCESS, FAILURE and REVOKED.</summary>
    public static bool IsReady(string state) => state is Success or Failure or Revoked;

    /// <summary>True for RETRY, FAILURE and REVOKED, whose result is an exception.</summary>
    public static bool IsException(string state) => state is Retry or Failure or Revoked;

    /// <summary>True for FAILURE and REVOKED, which <c>get()</c> raises.</summary>
    public static bool Propagates(string state) => state is Failure or Revoked;

    /// <summary>
    /// Precedence used by monitors to ignore out-of-order events: lower wins; custom states rank between
    /// FAILURE and REVOKED. Source: celery/states.py (PRECEDENCE).
    /// </summary>
    public static int Precedence(string state) => state switch
    {
        Success => 0,
        Failure => 1,
        Revoked => 3,
        Started => 4,
        Received => 5,
        Rejected => 6,
        Retry => 7,
        Pending => 8,
        _ => 2,
    };
}
