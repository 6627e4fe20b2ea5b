namespace Celeriac.RabbitMQ;

/// <summary>
/// RabbitMQ refused an operation: a declaration whose flags or arguments differ from the existing entity
/// (406 PRECONDITION_FAILED), a missing exchange or queue (404 NOT_FOUND), a user without permission on the vhost
/// (403 ACCESS_REFUSED), a failed login, or a broker that cannot be reached. The message says what was attempted and why.
/// </summary>
public sealed class AmqpBrokerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AmqpBrokerException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public AmqpBrokerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public AmqpBrokerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the broker's reply code.</summary>
    public AmqpBrokerException(string message, int replyCode, Exception? innerException)
        : base(message, innerException)
    {
        ReplyCode = replyCode;
    }

    /// <summary>The AMQP reply code (403, 404, 406, ...), or 0 when the broker gave none.</summary>
    public int ReplyCode { get; }
}
