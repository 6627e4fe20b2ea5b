namespace Celeriac.Protocol;

/// <summary>
/// The message's content type is not accepted: pickle and YAML are never deserialized (they can run code);
/// anything else not on the accept list is refused too. Mirrors kombu's ContentDisallowed.
/// </summary>
public sealed class ContentRefusedException : MessageDecodeException
{
    /// <summary>Creates the exception.</summary>
    public ContentRefusedException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public ContentRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public ContentRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refused content type.</summary>
    public string? ContentType { get; init; }

    /// <summary>Throws unless <paramref name="contentType"/> is JSON.</summary>
    /// <exception cref="ContentRefusedException">The content type is not JSON.</exception>
    public static void ThrowUnlessJson(string? contentType, string? taskId = null)
    {
        if (string.Equals(contentType, ContentTypes.Json, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var why = contentType switch
        {
            ContentTypes.Pickle => "pickle (application/x-python-serialize) is refused: deserializing it can run arbitrary code; only application/json is accepted; send with task_serializer='json'",
            ContentTypes.Yaml => "yaml (application/x-yaml) is refused: Celeriac reads only application/json; send with task_serializer='json'",
            null or "" => "the message has no content type; only application/json is accepted",
            _ => $"content type '{contentType}' is not accepted; only application/json is accepted",
        };
        throw new ContentRefusedException(why) { ContentType = contentType, TaskId = taskId };
    }
}
