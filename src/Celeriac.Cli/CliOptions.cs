using System.CommandLine;

namespace Celeriac.Cli;

/// <summary>The options every command takes; they shape the app itself, so they are read before it is built.</summary>
internal static class CliOptions
{
    public static Option<string?> Broker { get; } = new("--broker", "-b")
    {
        Description = "Broker URL (broker_url), e.g. sqlite:///celeriac.db, redis://localhost:6379/0",
        Recursive = true,
    };

    public static Option<string?> ResultBackend { get; } = new("--result-backend")
    {
        Description = "Result backend URL (result_backend), e.g. sqlite:///celeriac.db",
        Recursive = true,
    };

    public static Option<string?> LogLevel { get; } = new("--loglevel", "-l")
    {
        Description = "Logging level: DEBUG, INFO, WARNING, ERROR, CRITICAL (default WARNING)",
        Recursive = true,
    };

    public static Option<string?> Config { get; } = new("--config")
    {
        Description = "A JSON settings file with a \"Celeriac\" section of Celery setting names (read after appsettings.json)",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Broker, ResultBackend, LogLevel, Config];
}
