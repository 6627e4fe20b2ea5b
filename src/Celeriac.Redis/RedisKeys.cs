namespace Celeriac.Redis;

/// <summary>
/// Every Redis wire literal of kombu's Redis transport and Celery's Redis result backend, in one place.
/// Sources: kombu/transport/redis.py (Channel and QoS class attributes, _q_for_pri, _get_publish_topic,
/// restore_visible, Mutex), celery/backends/redis.py and celery/backends/base.py (KeyValueStoreBackend).
/// </summary>
internal static class RedisKeys
{
    /// <summary>kombu's <c>sep</c>: joins a queue and its priority step, and the fields of a binding.</summary>
    public const string Separator = "\x06\x16";

    /// <summary>kombu's <c>keyprefix_queue</c>: the set of bindings of an exchange is <c>_kombu.binding.&lt;exchange&gt;</c>.</summary>
    public const string BindingPrefix = "_kombu.binding.";

    /// <summary>kombu's <c>unacked_key</c>: hash delivery_tag → <c>[envelope, exchange, routing_key]</c>.</summary>
    public const string Unacked = "unacked";

    /// <summary>kombu's <c>unacked_index_key</c>: sorted set of delivery tags scored by UNIX delivery time.</summary>
    public const string UnackedIndex = "unacked_index";

    /// <summary>kombu's <c>unacked_mutex_key</c>: the lock that guards restores of stale unacked messages.</summary>
    public const string UnackedMutex = "unacked_mutex";

    /// <summary>kombu's <c>unacked_mutex_expire</c>: 300 s.</summary>
    public static readonly TimeSpan UnackedMutexExpire = TimeSpan.FromSeconds(300);

    /// <summary>kombu's <c>brpop_timeout</c>: a blocking pop returns empty after 1 s.</summary>
    public const int BrpopTimeoutSeconds = 1;

    /// <summary>kombu's default <c>priority_steps</c>.</summary>
    public static readonly IReadOnlyList<int> DefaultPrioritySteps = [0, 3, 6, 9];

    /// <summary>kombu's <c>visibility_timeout</c> default: one hour.</summary>
    public static readonly TimeSpan DefaultVisibilityTimeout = TimeSpan.FromHours(1);

#pragma warning disable CS1591 // Redis commands and their keywords, issued raw where no typed StackExchange.Redis method has kombu's exact form.
    public const string Brpop = "BRPOP";
    public const string Zrevrangebyscore = "ZREVRANGEBYSCORE";
    public const string WithScores = "WITHSCORES";
    public const string Set = "SET";
    public const string Px = "PX";
    public const string Nx = "NX";
    public const string Client = "CLIENT";
    public const string Id = "ID";
    public const string Unblock = "UNBLOCK";
    public const string Scan = "SCAN";
    public const string Match = "MATCH";
    public const string Count = "COUNT";
    public const string Subscribe = "SUBSCRIBE";
    public const string Psubscribe = "PSUBSCRIBE";
#pragma warning restore CS1591

    /// <summary>The lock release kombu's Mutex does: delete the key only when it still holds our token.</summary>
    public const string ReleaseMutexScript = """
        if redis.call("get", KEYS[1]) == ARGV[1] then
            return redis.call("del", KEYS[1])
        else
            return 0
        end
        """;

    /// <summary>
    /// Celeriac's own (kombu has none): the list where a consumer moves what it cannot run from <paramref name="queue"/>,
    /// each element exactly as it was popped, newest at the head (LPUSH), so <c>LMOVE ... RIGHT LEFT</c> requeues the oldest.
    /// </summary>
    public static string DeadLetterList(string queue) => DeadLetterPrefix + queue;

    /// <summary>The prefix of <see cref="DeadLetterList"/>, beside kombu's <c>_kombu.binding.</c>.</summary>
    public const string DeadLetterPrefix = "_celeriac.dead.";

    /// <summary>
    /// Pops up to ARGV[1] elements from the lists KEYS[1..m] in their order (priority steps, then the queue cycle) and
    /// records each in kombu's ack emulation in the same atomic step, exactly as QoS.append would after a BRPOP:
    /// <c>ZADD unacked_index ARGV[2] tag</c> and <c>HSET unacked tag [envelope, exchange, routing_key]</c>. An element
    /// that is not a JSON object goes to its queue's dead-letter list (KEYS[m+1..2m]) instead. So a popped message is
    /// always somewhere a restore finds it, even when Redis dies before the reply reaches us. KEYS[2m+1] = unacked,
    /// KEYS[2m+2] = unacked_index; ARGV[3] = queues per priority step (served round robin within a step). Returns [list, element, tag] triples; tag is "" for an envelope without a
    /// delivery_tag (not recorded: the caller gives it one) and 0 for a dead-lettered element. Needs Redis 6.2+ (RPOP count).
    /// </summary>
    public const string PopBatchScript = """
        local m = (#KEYS - 2) / 2
        local perStep = tonumber(ARGV[3])
        local left = tonumber(ARGV[1])
        local out, scores, entries = {}, {}, {}
        local function take(i, raw)
            local ok, env = pcall(cjson.decode, raw)
            local tag = 0
            if ok and type(env) == 'table' then
                tag = ''
                local props = env['properties']
                if type(props) == 'table' and type(props['delivery_tag']) == 'string' and props['delivery_tag'] ~= '' then
                    tag = props['delivery_tag']
                    local info = props['delivery_info']
                    local ex, rk = '', ''
                    if type(info) == 'table' then
                        if type(info['exchange']) == 'string' then ex = info['exchange'] end
                        if type(info['routing_key']) == 'string' then rk = info['routing_key'] end
                    end
                    scores[#scores + 1] = ARGV[2]
                    scores[#scores + 1] = tag
                    entries[#entries + 1] = tag
                    entries[#entries + 1] = '[' .. raw .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']'
                end
            else
                redis.call('LPUSH', KEYS[m + i], raw)
            end
            out[#out + 1] = KEYS[i]
            out[#out + 1] = raw
            out[#out + 1] = tag
            left = left - 1
        end
        for first = 1, m, perStep do
            if left <= 0 then break end
            if perStep == 1 then
                local items = redis.call('RPOP', KEYS[first], left)
                if items then
                    for _, raw in ipairs(items) do take(first, raw) end
                end
            else
                -- Several queues at this step: one message from each in turn, as kombu's round-robin cycle serves them.
                local live = true
                while live and left > 0 do
                    live = false
                    for i = first, first + perStep - 1 do
                        if left <= 0 then break end
                        local raw = redis.call('RPOP', KEYS[i])
                        if raw then
                            live = true
                            take(i, raw)
                        end
                    end
                end
            end
        end
        if #scores > 0 then
            redis.call('ZADD', KEYS[2 * m + 2], unpack(scores))
            redis.call('HSET', KEYS[2 * m + 1], unpack(entries))
        end
        return out
        """;

    /// <summary>
    /// Celery's result write with its rule that a stored SUCCESS is never overwritten (base.py _store_result: GET first),
    /// in one atomic step, for one or several results (a group commit of those finished while the previous write was on
    /// the wire): for each <c>KEYS[i]</c> with its value <c>ARGV[i + 1]</c>, in order, <c>GET</c>, then unless it holds a
    /// SUCCESS, <c>SETEX key ARGV[1] json</c> (<c>SET</c> when ARGV[1] is 0) and <c>PUBLISH key json</c>. Returns how
    /// many were written.
    /// </summary>
    public const string StoreResultsScript = """
        local written = 0
        for i, key in ipairs(KEYS) do
            local skip = false
            local current = redis.call('GET', key)
            if current then
                local ok, meta = pcall(cjson.decode, current)
                if ok and type(meta) == 'table' and meta['status'] == 'SUCCESS' then skip = true end
            end
            if not skip then
                if ARGV[1] == '0' then
                    redis.call('SET', key, ARGV[i + 1])
                else
                    redis.call('SETEX', key, ARGV[1], ARGV[i + 1])
                end
                redis.call('PUBLISH', key, ARGV[i + 1])
                written = written + 1
            end
        end
        return written
        """;

    /// <summary>The list of <paramref name="queue"/> for priority step <paramref name="step"/> (kombu's <c>_q_for_pri</c>).</summary>
    public static string QueueList(string queue, int step) => step == 0 ? queue : queue + Separator + step.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The queue a popped list key belongs to: the <c>sep + step</c> suffix cut off (kombu's <c>rsplit(sep, 1)[0]</c>).</summary>
    public static string QueueOfList(string list)
    {
        var at = list.LastIndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? list : list[..at];
    }

    /// <summary>The queue field of a binding member (the last of its three fields).</summary>
    public static string QueueOfBinding(string member)
    {
        var at = member.LastIndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? member : member[(at + Separator.Length)..];
    }

    /// <summary>A binding member: <c>routing_key sep pattern sep queue</c>.</summary>
    public static string BindingMember(string routingKey, string pattern, string queue) => routingKey + Separator + pattern + Separator + queue;
}
