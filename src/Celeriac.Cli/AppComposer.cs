using System.Collections;
using System.CommandLine;
using Celeriac.Cli.Logging;
using Celeriac.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Celeriac.Cli;

/// <summary>
/// Builds the app the way every Celeriac program starts: defaults from code, then <c>appsettings.json</c>, then
/// <c>--config</c>, then <c>CELERIAC_*</c> environment variables, then <c>-b</c>/<c>--result-backend</c>; logging on
/// standard error in Celery's format; every transport and backend this distribution ships.
/// </summary>
internal static class AppComposer
{
    public static (CeleriacOptions Options, LogLevel Level) ReadOptions(ParseResult parse, Func<CeleriacOptions, CeleriacOptions>? configure)
    {
        var options = configure?.Invoke(new CeleriacOptions()) ?? new CeleriacOptions();
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (parse.GetValue(CliOptions.Config) is { } file)
        {
            if (!File.Exists(file))
            {
                throw new CeleriacConfigurationException("--config", $"file '{file}' does not exist");
            }

            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }

        builder.AddInMemoryCollection(EnvironmentSettings());
        try
        {
            options = CeleriacConfiguration.BindSection(builder.Build(), options);
        }
        catch (InvalidDataException ex)
        {
            throw new CeleriacConfigurationException("--config", $"the settings file is not valid JSON: {ex.Message}", ex);
        }

        if (parse.GetValue(CliOptions.Broker) is { } broker)
        {
            options = options with { BrokerUrl = broker };
        }

        if (parse.GetValue(CliOptions.ResultBackend) is { } backend)
        {
            options = options with { ResultBackend = backend };
        }

        return (options, LogLevels.Parse(parse.GetValue(CliOptions.LogLevel)));
    }

    public static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddConsole(o =>
        {
            o.FormatterName = CeleryConsoleFormatter.FormatterName;

            // Logs go to standard error, as Celery's do, so standard output stays for command results.
            o.LogToStandardErrorThreshold = LogLevel.Trace;
        })
        .AddConsoleFormatter<CeleryConsoleFormatter, ConsoleFormatterOptions>());

    public static CeleriacServices Services(ILoggerFactory loggerFactory) =>
        Transports.Register(new CeleriacServices { LoggerFactory = loggerFactory });

    private static Dictionary<string, string?> EnvironmentSettings()
    {
        // CELERIAC_BROKER_URL -> Celeriac:broker_url; a double underscore nests (CELERIAC_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT).
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            // The dashboard's own variables (its accounts) are not Celery settings.
            if (entry.Key is string key && key.StartsWith(CeleriacConfiguration.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)
                && !key.StartsWith(Commands.DashboardCommand.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var name = key[CeleriacConfiguration.EnvironmentPrefix.Length..].ToLowerInvariant().Replace("__", ":", StringComparison.Ordinal);
                settings[CeleriacConfiguration.SectionName + ":" + name] = entry.Value as string;
            }
        }

        return settings;
    }
}
