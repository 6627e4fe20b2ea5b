using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using Celeriac.Transport;
using RabbitMQ.Client;

namespace Celeriac.RabbitMQ;

/// <summary>
/// Where and how to connect, from an <c>amqp://</c>, <c>amqps://</c> or <c>pyamqp://</c> URL as kombu reads it:
/// <c>amqp://user:pass@host:port/vhost</c>, where <c>//</c> (and an empty path) is the vhost <c>/</c> and
/// <c>%2F</c> escapes a slash; guest/guest@localhost:5672 by default (5671 for amqps). Connection settings come from the
/// URL query or <c>broker_transport_options</c>: <c>heartbeat</c> (s, 120 as Celery's <c>broker_heartbeat</c>; 0 turns
/// it off), <c>connect_timeout</c> (s, 4), and for TLS <c>ssl_cert_reqs</c> (<c>required</c>/<c>none</c>),
/// <c>ssl_ca_certs</c>, <c>ssl_certfile</c>, <c>ssl_keyfile</c>... as Celery's <c>broker_use_ssl</c>.
/// Source: kombu/utils/url.py, kombu/transport/pyamqp.py (default_port, default_ssl_port), celery/app/defaults.py.
/// </summary>
internal sealed record AmqpEndpoint
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    public required string UserName { get; init; }

    public required string Password { get; init; }

    public required string VirtualHost { get; init; }

    public required bool Tls { get; init; }

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long automatic recovery waits between attempts to reconnect.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public bool VerifyCertificate { get; init; } = true;

    public string? ServerName { get; init; }

    public string? ClientCertificate { get; init; }

    public string? ClientCertificatePassphrase { get; init; }

    /// <summary>The URL for logs, password masked.</summary>
    public required string Redacted { get; init; }

    /// <summary>Reads the URL; <paramref name="options"/> are <c>broker_transport_options</c>, which the URL query overrides.</summary>
    /// <exception cref="CeleriacConfigurationException">A value is malformed; the message names the setting.</exception>
    public static AmqpEndpoint Parse(BrokerUrl url, IReadOnlyDictionary<string, string> options, string setting = "broker_url")
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        var tls = url.Scheme == AmqpRegistration.TlsScheme;
        if (url.Scheme is not (AmqpRegistration.Scheme or AmqpRegistration.TlsScheme or AmqpRegistration.PyAmqpScheme))
        {
            throw new CeleriacConfigurationException(setting, $"'{url.Redacted}' is not an amqp://, amqps:// or pyamqp:// URL");
        }

        string? Option(string name) => url.Query.TryGetValue(name, out var v) ? v : options.TryGetValue(name, out v) ? v : null;
        TimeSpan Seconds(string name, TimeSpan fallback)
        {
            var text = Option(name);
            if (text is null)
            {
                return fallback;
            }

            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s < int.MaxValue
                ? TimeSpan.FromSeconds(s)
                : throw new CeleriacConfigurationException("broker_transport_options." + name, $"'{text}' is not a number of seconds");
        }

        // kombu: the path is the vhost; '' and '/' both mean '/'. BrokerUrl keeps what follows the first slash.
        var vhost = url.Path.Length == 0 ? "/" : url.Path;
        var certReqs = Option("ssl_cert_reqs") ?? Option("cert_reqs");
        var verify = certReqs is null || !(certReqs.Equals("none", StringComparison.OrdinalIgnoreCase) || certReqs.Equals("CERT_NONE", StringComparison.OrdinalIgnoreCase));
        var certfile = Option("ssl_certfile") ?? Option("certfile");
        if (certfile is not null && !File.Exists(certfile))
        {
            throw new CeleriacConfigurationException("broker_use_ssl.certfile", $"'{certfile}' does not exist");
        }

        return new AmqpEndpoint
        {
            Host = url.Host.Length == 0 ? "localhost" : url.Host,
            Port = url.Port ?? (tls ? 5671 : 5672),
            UserName = url.UserName ?? "guest",
            Password = url.Password ?? "guest",
            VirtualHost = vhost,
            Tls = tls,
            Heartbeat = Seconds("heartbeat", TimeSpan.FromSeconds(120)),
            ConnectTimeout = Seconds("connect_timeout", TimeSpan.FromSeconds(4)),
            RecoveryInterval = Seconds("recovery_interval", TimeSpan.FromSeconds(1)),
            VerifyCertificate = verify,
            ServerName = Option("ssl_server_hostname") ?? Option("server_hostname"),
            ClientCertificate = certfile,
            ClientCertificatePassphrase = Option("ssl_keyfile_password"),
            Redacted = url.Redacted,
        };
    }

    /// <summary>A RabbitMQ.Client factory: automatic connection and topology recovery on, consumers dispatched async.</summary>
    public ConnectionFactory ToFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        UserName = UserName,
        Password = Password,
        VirtualHost = VirtualHost,
        RequestedHeartbeat = Heartbeat,
        RequestedConnectionTimeout = ConnectTimeout,
        AutomaticRecoveryEnabled = true,
        TopologyRecoveryEnabled = true,
        NetworkRecoveryInterval = RecoveryInterval,
        ClientProvidedName = clientName,
        Ssl = Tls
            ? new SslOption
            {
                Enabled = true,
                ServerName = ServerName ?? Host,
                Version = SslProtocols.None,
                CertPath = ClientCertificate ?? string.Empty,
                CertPassphrase = ClientCertificatePassphrase ?? string.Empty,
                AcceptablePolicyErrors = VerifyCertificate ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors,
            }
            : new SslOption { Enabled = false },
    };
}
