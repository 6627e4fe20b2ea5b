using System.Globalization;
using Celeriac.Transport;

namespace Celeriac.Redis;

/// <summary>
/// kombu's Redis transport options (Celery's <c>broker_transport_options</c>) that change what goes on the wire or
/// when messages come back. Every peer sharing a broker must agree on <see cref="PrioritySteps"/>,
/// <see cref="GlobalKeyPrefix"/>, <see cref="FanoutPrefix"/> and <see cref="FanoutPatterns"/> (Celery §4.9).
/// </summary>
internal sealed record RedisTransportOptions
{
    /// <summary><c>visibility_timeout</c>: an unacked message older than this is restored by any consumer.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = RedisKeys.DefaultVisibilityTimeout;

    /// <summary><c>global_keyprefix</c>: prepended verbatim to every key and channel.</summary>
    public string GlobalKeyPrefix { get; init; } = string.Empty;

    /// <summary><c>priority_steps</c>, ascending, starting at 0.</summary>
    public IReadOnlyList<int> PrioritySteps { get; init; } = RedisKeys.DefaultPrioritySteps;

    /// <summary><c>fanout_prefix</c>: true gives <c>/&lt;db&gt;.</c>; a string replaces it; false is none.</summary>
    public string? FanoutPrefix { get; init; }

    /// <summary><c>fanout_patterns</c>: the routing key is part of the fanout channel.</summary>
    public bool FanoutPatterns { get; init; } = true;

    /// <summary>Reads the options from the transport context (options, then URL query).</summary>
    /// <exception cref="CeleriacConfigurationException">A value is malformed; the message names the option.</exception>
    public static RedisTransportOptions Read(TransportContext context, int database)
    {
        ArgumentNullException.ThrowIfNull(context);
        var steps = Get(context, "priority_steps") is { } text ? ParseSteps(text) : RedisKeys.DefaultPrioritySteps;
        var fanoutPrefix = Get(context, "fanout_prefix") switch
        {
            null or "true" or "True" or "1" => "/" + database.ToString(CultureInfo.InvariantCulture) + ".",
            "false" or "False" or "0" or "" => string.Empty,
            var custom => custom,
        };
        var patterns = Get(context, "fanout_patterns") switch
        {
            null or "true" or "True" or "1" => true,
            "false" or "False" or "0" => false,
            var bad => throw new CeleriacConfigurationException("broker_transport_options.fanout_patterns", $"'{bad}' is not true or false"),
        };
        return new RedisTransportOptions
        {
            VisibilityTimeout = context.GetSeconds("visibility_timeout", RedisKeys.DefaultVisibilityTimeout),
            GlobalKeyPrefix = Get(context, "global_keyprefix") ?? string.Empty,
            PrioritySteps = steps,
            FanoutPrefix = fanoutPrefix,
            FanoutPatterns = patterns,
        };
    }

    /// <summary>The step a priority maps to: clamped to 0..9, then the greatest step ≤ it (kombu's <c>priority()</c>).</summary>
    public int StepFor(int? priority)
    {
        var p = Math.Clamp(priority ?? 0, 0, 9);
        var step = PrioritySteps[0];
        foreach (var s in PrioritySteps)
        {
            if (s <= p)
            {
                step = s;
            }
        }

        return step;
    }

    private static string? Get(TransportContext context, string name) =>
        context.Options.TryGetValue(name, out var v) ? v : context.Url.Query.TryGetValue(name, out v) ? v : null;

    /// <summary>Accepts <c>[0, 3, 6, 9]</c>, <c>0,3,6,9</c> or <c>0 3 6 9</c>.</summary>
    private static int[] ParseSteps(string text)
    {
        var parts = text.Trim().TrimStart('[', '(').TrimEnd(']', ')').Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var steps = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var step) || step is < 0 or > 9)
            {
                throw new CeleriacConfigurationException("broker_transport_options.priority_steps", $"'{text}' is not a list of integers from 0 to 9, e.g. [0, 3, 6, 9]");
            }

            steps.Add(step);
        }

        steps = [.. steps.Distinct().Order()];
        if (steps.Count == 0 || steps[0] != 0)
        {
            throw new CeleriacConfigurationException("broker_transport_options.priority_steps", $"'{text}' must start with 0, e.g. [0, 3, 6, 9]");
        }

        return [.. steps];
    }
}
