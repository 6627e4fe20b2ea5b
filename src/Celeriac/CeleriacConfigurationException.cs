namespace Celeriac;

/// <summary>A configuration value is wrong. <see cref="Key"/> names it by Celery's setting name.</summary>
public sealed class CeleriacConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CeleriacConfigurationException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public CeleriacConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public CeleriacConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public CeleriacConfigurationException(string key, string reason)
        : base($"{key}: {reason}")
    {
        Key = key;
    }

    /// <summary>Creates the exception for <paramref name="key"/> with its cause.</summary>
    public CeleriacConfigurationException(string key, string reason, Exception innerException)
        : base($"{key}: {reason}", innerException)
    {
        Key = key;
    }

    /// <summary>The setting, by Celery's name (e.g. <c>worker_prefetch_multiplier</c>).</summary>
    public string? Key { get; }
}
