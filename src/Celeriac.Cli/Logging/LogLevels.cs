using Microsoft.Extensions.Logging;

namespace Celeriac.Cli.Logging;

/// <summary>Celery's level names (<c>-l info</c>) as .NET levels.</summary>
internal static class LogLevels
{
    public static LogLevel Parse(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        null or "" => LogLevel.Warning,
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Information,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" or "FATAL" => LogLevel.Critical,
        _ => throw new CeleriacConfigurationException("--loglevel", $"'{name}' is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    };
}
