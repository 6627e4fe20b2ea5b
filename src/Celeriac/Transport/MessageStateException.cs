namespace Celeriac.Transport;

/// <summary>A delivery was acked or rejected twice.</summary>
public sealed class MessageStateException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public MessageStateException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public MessageStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public MessageStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
