namespace Celeriac.Cli;

/// <summary>Exit codes, after BSD sysexits as Celery uses them. Source: celery/bin/base.py.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The task failed, was revoked, or did not finish in time.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or configuration (EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>The broker or backend cannot be reached, or no worker answered (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>An internal error (EX_SOFTWARE).</summary>
    public const int Software = 70;
}
