using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Celeriac.Cli.Logging;

/// <summary>
/// Console lines in Celery's worker format, <c>[2026-01-01 12:00:00,123: INFO/MainProcess] message</c>, so that
/// people and tools used to Celery's logs read ours. Source: celery/app/log.py (worker_log_format).
/// </summary>
internal sealed class CeleryConsoleFormatter : ConsoleFormatter
{
    public const string FormatterName = "celery";

    public CeleryConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        _ = options;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var now = TimeProvider.System.GetLocalNow();
        textWriter.Write('[');
        textWriter.Write(now.ToString("yyyy-MM-dd HH:mm:ss,fff", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(": ");
        textWriter.Write(LevelName(logEntry.LogLevel));
        textWriter.Write("/MainProcess] ");
        textWriter.WriteLine(message);
        if (logEntry.Exception is { } ex)
        {
            textWriter.WriteLine(ex.ToString());
        }
    }

    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        _ => "CRITICAL",
    };
}
