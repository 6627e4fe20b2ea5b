namespace Celeriac.Tasks;

/// <summary>
/// The call's arguments do not fit the task's parameters. Stored as Python's <c>TypeError</c> with a message in
/// Python's words, so either side reads it the same way.
/// </summary>
public sealed class TaskArgumentException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public TaskArgumentException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public TaskArgumentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public TaskArgumentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
