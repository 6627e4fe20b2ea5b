using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Celeriac.Transport;
using StackExchange.Redis;

namespace Celeriac.Redis;

/// <summary>
/// A <c>redis://</c> or <c>rediss://</c> URL as kombu and Celery read it (Celery §4.10):
/// <c>redis://[[user]:password@]host[:port][/db]</c>, default <c>localhost:6379</c> db 0; <c>rediss://</c> is TLS with
/// <c>ssl_cert_reqs</c> (<c>required</c>, <c>optional</c>, <c>none</c>, or the <c>CERT_*</c> names), <c>ssl_ca_certs</c>,
/// <c>ssl_certfile</c>, <c>ssl_keyfile</c> query parameters. Sources: kombu/utils/url.py, kombu/transport/redis.py
/// (_connparams), celery/backends/redis.py (_params_from_url).
/// </summary>
internal sealed record RedisEndpoint
{
    /// <summary>Redis's default port.</summary>
    public const int DefaultPort = 6379;

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required int Database { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public bool Tls { get; init; }

    /// <summary>How the server certificate is checked: <c>required</c> (default with parameters), <c>optional</c>, <c>none</c>.</summary>
    public string CertRequirement { get; init; } = "required";

    public string? CaCertsPath { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>The URL, password masked.</summary>
    public required string Redacted { get; init; }

    /// <summary>Reads a URL.</summary>
    /// <param name="url">The parsed URL.</param>
    /// <param name="settingKey">The setting it came from (<c>broker_url</c>, <c>result_backend</c>), named in errors.</param>
    /// <exception cref="CeleriacConfigurationException">Not a usable Redis URL; the message names <paramref name="settingKey"/>.</exception>
    public static RedisEndpoint Parse(BrokerUrl url, string settingKey)
    {
        ArgumentNullException.ThrowIfNull(url);
        var tls = url.Scheme switch
        {
            RedisRegistration.Scheme => false,
            RedisRegistration.TlsScheme => true,
            _ => throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}' is not a redis:// or rediss:// URL"),
        };

        // kombu: the path is the db number; "" or "/" is db 0; anything else must be an integer.
        var path = url.Path.Trim('/');
        var db = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out db) || db < 0))
        {
            throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}': the path must be a database number (redis://host:6379/0), not '{path}'");
        }

        if (url.Host.Contains(';', StringComparison.Ordinal) || url.Original.Contains(';', StringComparison.Ordinal))
        {
            throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}': failover lists (';') are not supported; give one Redis URL");
        }

        var certReqs = "required";
        string? caCerts = null, certFile = null, keyFile = null;
        foreach (var (key, value) in url.Query)
        {
            switch (key)
            {
                case "ssl_cert_reqs":
                    certReqs = value.ToUpperInvariant() switch
                    {
                        "REQUIRED" or "CERT_REQUIRED" => "required",
                        "OPTIONAL" or "CERT_OPTIONAL" => "optional",
                        "NONE" or "CERT_NONE" => "none",
                        _ => throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}': ssl_cert_reqs must be required, optional or none, not '{value}'"),
                    };
                    break;
                case "ssl_ca_certs":
                    caCerts = value;
                    break;
                case "ssl_certfile":
                    certFile = value;
                    break;
                case "ssl_keyfile":
                    keyFile = value;
                    break;
                default:
                    // Other redis-py connection parameters (socket_timeout, ...) have no equivalent here; ignored as kombu
                    // ignores unknown ones.
                    break;
            }
        }

        if (!tls && (caCerts ?? certFile ?? keyFile) is not null)
        {
            throw new CeleriacConfigurationException(settingKey, $"'{url.Redacted}': ssl_* parameters need a rediss:// URL");
        }

        return new RedisEndpoint
        {
            Host = url.Host.Length == 0 ? "localhost" : url.Host,
            Port = url.Port ?? DefaultPort,
            Database = db,
            User = url.UserName,
            Password = url.Password,
            Tls = tls,
            CertRequirement = certReqs,
            CaCertsPath = caCerts,
            CertFile = certFile,
            KeyFile = keyFile,
            Redacted = url.Redacted,
        };
    }

    /// <summary>StackExchange.Redis options for a connection to this endpoint.</summary>
    /// <param name="clientName">The connection's CLIENT SETNAME.</param>
    /// <param name="blocking">A dedicated connection for blocking commands: no pub/sub connection, a long timeout.</param>
    public ConfigurationOptions ToConfiguration(string clientName, bool blocking = false)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { Host, Port } },
            DefaultDatabase = Database,
            User = User,
            Password = Password,
            Ssl = Tls,
            SslHost = Tls ? Host : null,
            ClientName = clientName,

            // The broker may come up after us: keep retrying in the background rather than failing the first command.
            AbortOnConnectFail = false,
            ConnectRetry = 3,

            // Reads complete on the .NET thread pool, where the worker's continuations run anyway, instead of handing
            // each reply over from StackExchange.Redis's own spinning scheduler threads (a thread hop per reply).
            SocketManager = SocketManager.ThreadPool,
        };
        if (blocking)
        {
            // One blocking BRPOP at a time; no SUBSCRIBE means StackExchange.Redis opens no pub/sub connection.
            options.CommandMap = CommandMap.Create([RedisKeys.Subscribe, RedisKeys.Psubscribe], available: false);
            options.AsyncTimeout = (RedisKeys.BrpopTimeoutSeconds + 10) * 1000;
        }

        if (Tls)
        {
            ConfigureTls(options);
        }

        return options;
    }

    private void ConfigureTls(ConfigurationOptions options)
    {
        if (CaCertsPath is not null)
        {
            options.TrustIssuer(CaCertsPath);
        }

        if (CertRequirement == "none")
        {
            // ssl_cert_reqs=none (CERT_NONE) is the user's explicit choice, as in redis-py: no server certificate check.
            // CERT_OPTIONAL is CERT_REQUIRED on a client socket (Python's ssl module), so it validates.
#pragma warning disable CA5359 // Accepting any certificate is what ssl_cert_reqs=none asks for.
            options.CertificateValidation += static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        if (CertFile is not null)
        {
            var certFile = CertFile;
            var keyFile = KeyFile;
            options.CertificateSelection += (_, _, _, _, _) => X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
    }
}
