namespace Celeriac.Protocol;

/// <summary>
/// A message could not be decoded: bad JSON, a missing mandatory field, wrong types.
/// <see cref="TaskId"/> carries the id when it could be read, so the failure can be recorded against it.
/// </summary>
public class MessageDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MessageDecodeException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public MessageDecodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public MessageDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The task id, when the message had a readable one.</summary>
    public string? TaskId { get; init; }

    /// <summary>The task name, when the message had a readable one.</summary>
    public string? TaskName { get; init; }
}
