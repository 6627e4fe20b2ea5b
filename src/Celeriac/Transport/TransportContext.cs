using Microsoft.Extensions.Logging;

namespace Celeriac.Transport;

/// <summary>What a transport factory gets: the URL, Celery's <c>broker_transport_options</c>, time and logging.</summary>
/// <param name="Url">The parsed broker URL.</param>
/// <param name="Options">Transport options by Celery's names (<c>visibility_timeout</c>, ...).</param>
/// <param name="TimeProvider">The clock.</param>
/// <param name="LoggerFactory">Logging.</param>
public sealed record TransportContext(BrokerUrl Url, IReadOnlyDictionary<string, string> Options, TimeProvider TimeProvider, ILoggerFactory LoggerFactory)
{
    /// <summary>Reads a numeric option in seconds, or <paramref name="fallback"/>.</summary>
    /// <exception cref="CeleriacConfigurationException">The option is not a number.</exception>
    public TimeSpan GetSeconds(string name, TimeSpan fallback)
    {
        if (!Options.TryGetValue(name, out var text) && !Url.Query.TryGetValue(name, out text))
        {
            return fallback;
        }

        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s >= 0
            ? TimeSpan.FromSeconds(s)
            : throw new CeleriacConfigurationException("broker_transport_options." + name, $"'{text}' is not a number of seconds");
    }
}
