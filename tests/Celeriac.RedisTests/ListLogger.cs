using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Celeriac.RedisTests;

/// <summary>A logger factory that keeps every formatted line (with its exception's message), for asserting on logs.</summary>
public sealed class ListLogger : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
    }

    public void Dispose()
    {
    }
}
