namespace Celeriac.Backends;

/// <summary>
/// A chord's join cannot go on (e.g. its saved header group expired): the body fails with Celery's <c>ChordError</c>
/// and this message as its reason.
/// </summary>
public sealed class ChordJoinException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChordJoinException()
    {
    }

    /// <summary>Creates the exception with the reason the body's ChordError will carry.</summary>
    public ChordJoinException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and a cause.</summary>
    public ChordJoinException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
