namespace Celeriac.Protocol;

/// <summary>
/// Content types and encodings as kombu names them.
/// Source: kombu/serialization.py (registry.register calls).
/// </summary>
public static class ContentTypes
{
    /// <summary>The JSON serializer's MIME type, Celery's default for tasks, results, events and pidbox.</summary>
    public const string Json = "application/json";

    /// <summary>pickle; never deserialized by Celeriac.</summary>
    public const string Pickle = "application/x-python-serialize";

    /// <summary>YAML; refused by Celeriac.</summary>
    public const string Yaml = "application/x-yaml";

    /// <summary>msgpack; not supported yet.</summary>
    public const string MsgPack = "application/x-msgpack";

    /// <summary>The content encoding of text serializers.</summary>
    public const string Utf8Encoding = "utf-8";

    /// <summary>The content encoding of binary serializers.</summary>
    public const string BinaryEncoding = "binary";
}
