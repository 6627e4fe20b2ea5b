using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Schedules;

/// <summary>What a beat store factory gets: the broker URL it shares a server with, and the app's settings.</summary>
/// <param name="Url">The broker URL.</param>
/// <param name="TransportOptions"><c>broker_transport_options</c>.</param>
/// <param name="AppName">The app's name; stores keep one schedule per app name.</param>
/// <param name="TimeProvider">The clock.</param>
/// <param name="LoggerFactory">Logging.</param>
public sealed record BeatStoreContext(BrokerUrl Url, IReadOnlyDictionary<string, string> TransportOptions, string AppName, TimeProvider TimeProvider, ILoggerFactory LoggerFactory);
