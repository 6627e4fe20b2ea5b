namespace Celeriac.Transport;

/// <summary>
/// AMQP topic matching over dot-separated words: <c>*</c> is one word, <c>#</c> zero or more.
/// Source: kombu/transport/virtual/exchange.py (TopicExchange).
/// </summary>
public static class TopicMatcher
{
    /// <summary>Whether <paramref name="routingKey"/> matches the binding <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(routingKey);
        return Match(pattern.Split('.'), 0, routingKey.Split('.'), 0);
    }

    private static bool Match(string[] p, int pi, string[] w, int wi)
    {
        while (true)
        {
            if (pi == p.Length)
            {
                return wi == w.Length;
            }

            if (p[pi] == "#")
            {
                for (var skip = wi; skip <= w.Length; skip++)
                {
                    if (Match(p, pi + 1, w, skip))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (wi == w.Length || (p[pi] != "*" && p[pi] != w[wi]))
            {
                return false;
            }

            pi++;
            wi++;
        }
    }
}
