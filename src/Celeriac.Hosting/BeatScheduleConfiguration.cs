using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Celeriac.Canvas;
using Celeriac.Schedules;
using Microsoft.Extensions.Configuration;

namespace Celeriac.Hosting;

/// <summary>
/// Reads <c>beat_schedule</c> with Celery's entry keys:
/// <c>{"add-every-10s": {"task": "proj.add", "schedule": 10, "args": [16, 16], "kwargs": {}, "options": {"queue": "celery",
/// "expires": 30, "priority": 5}, "relative": false}, "every-minute": {"task": "proj.mul", "schedule": "crontab(minute='*/1')"}}</c>.
/// <c>schedule</c> is seconds, <c>"timedelta(seconds=10)"</c>, <c>"crontab(...)"</c>, a cron line, or an object of
/// crontab fields (<c>{"minute": "0", "hour": "7"}</c>). Celeriac adds <c>timezone</c> (per-entry IANA zone) and
/// <c>missed_run_policy</c> (<c>run_once</c> or <c>skip</c>). Configuration keeps no JSON types, so argument values that
/// read as JSON numbers, <c>true</c>/<c>false</c> or <c>null</c> are sent as such; write <c>"args": "[16, \"16\"]"</c> (a
/// JSON string) for exact types. A bad entry fails at start naming it and the field: <c>beat_schedule.every-minute.schedule</c>.
/// </summary>
internal static partial class BeatScheduleConfiguration
{
    private static readonly HashSet<string> EntryKeys = new(StringComparer.Ordinal)
    {
        "task", "schedule", "args", "kwargs", "options", "relative", "timezone", "missed_run_policy",
    };

    /// <summary>The entries of <paramref name="start"/> (from code) with those of <paramref name="section"/> added or replacing them by name.</summary>
    public static List<BeatEntry> Read(IReadOnlyList<BeatEntry> start, IConfigurationSection section)
    {
        var entries = start.ToList();
        foreach (var e in section.GetChildren())
        {
            var entry = Entry(e);
            entries.RemoveAll(x => x.Name == entry.Name);
            entries.Add(entry);
        }

        return entries;
    }

    public static MissedRunPolicy Policy(string key, string value) => value.Trim().ToLowerInvariant() switch
    {
        "run_once" or "runonce" or "once" => MissedRunPolicy.RunOnce,
        "skip" => MissedRunPolicy.Skip,
        _ => throw new CeleriacConfigurationException(key, $"'{value}' is not a missed-run policy; use run_once or skip"),
    };

    private static BeatEntry Entry(IConfigurationSection e)
    {
        var prefix = CelerySettings.BeatSchedule + "." + e.Key;
        if (e.Value is not null)
        {
            throw new CeleriacConfigurationException(prefix, "an entry must be an object with at least 'task' and 'schedule'");
        }

        foreach (var child in e.GetChildren())
        {
            if (!EntryKeys.Contains(child.Key))
            {
                throw new CeleriacConfigurationException(prefix + "." + child.Key, $"unknown entry key; known keys: {string.Join(", ", EntryKeys.Order(StringComparer.Ordinal))}");
            }
        }

        var task = e["task"] is { Length: > 0 } t ? t : throw new CeleriacConfigurationException(prefix + ".task", "every entry needs the name of the task to send");
        var relative = e["relative"] switch
        {
            null or "" => false,
            var v when bool.TryParse(v, out var b) => b,
            var v => throw new CeleriacConfigurationException(prefix + ".relative", $"'{v}' is not a boolean"),
        };
        var schedule = Schedule(e.GetSection("schedule"), prefix + ".schedule", relative);
        TimeZoneInfo? zone = null;
        if (e["timezone"] is { Length: > 0 } zoneName)
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new CeleriacConfigurationException(prefix + ".timezone", $"'{zoneName}' is not a known IANA time zone (e.g. UTC, Europe/Berlin, Asia/Shanghai)", ex);
            }
        }

        var args = Json(e.GetSection("args"), prefix + ".args") switch
        {
            null => null,
            JsonArray a => a,
            _ => throw new CeleriacConfigurationException(prefix + ".args", "must be a list of positional arguments"),
        };
        var kwargs = Json(e.GetSection("kwargs"), prefix + ".kwargs") switch
        {
            null => null,
            JsonObject o => o,
            JsonArray { Count: 0 } => null,
            _ => throw new CeleriacConfigurationException(prefix + ".kwargs", "must be an object of keyword arguments"),
        };
        var options = Json(e.GetSection("options"), prefix + ".options") switch
        {
            null => null,
            JsonObject o => o,
            JsonArray { Count: 0 } => null,
            _ => throw new CeleriacConfigurationException(prefix + ".options", "must be an object of apply_async options (queue, expires, priority, ...)"),
        };
        return new BeatEntry(e.Key, new Signature(task, args, kwargs, options), schedule)
        {
            TimeZone = zone,
            MissedRunPolicy = e["missed_run_policy"] is { Length: > 0 } p ? Policy(prefix + ".missed_run_policy", p) : null,
        };
    }

    private static ISchedule Schedule(IConfigurationSection s, string key, bool relative)
    {
        try
        {
            if (s.Value is { Length: > 0 } text)
            {
                return ScheduleParser.Parse(text, relative);
            }

            var fields = s.GetChildren().ToDictionary(c => c.Key, c => c.Value ?? throw new FormatException($"crontab field {c.Key} must be a string or number"), StringComparer.Ordinal);
            if (fields.Count == 0)
            {
                throw new FormatException("every entry needs a schedule: seconds, \"crontab(minute='*/15')\", a cron line, or an object of crontab fields");
            }

            return ScheduleParser.CrontabFromFields(fields);
        }
        catch (FormatException ex)
        {
            throw new CeleriacConfigurationException(key, ex.Message, ex);
        }
    }

    /// <summary>A section as JSON: a JSON text value as written, else arrays and objects rebuilt with scalars inferred.</summary>
    private static JsonNode? Json(IConfigurationSection s, string key)
    {
        if (!s.Exists())
        {
            return null;
        }

        if (s.Value is { } text)
        {
            var trimmed = text.Trim();
            if (trimmed.Length == 0)
            {
                return new JsonArray();
            }

            if (trimmed[0] is '[' or '{')
            {
                try
                {
                    return JsonNode.Parse(trimmed);
                }
                catch (JsonException ex)
                {
                    throw new CeleriacConfigurationException(key, $"'{text}' is not valid JSON: {ex.Message}", ex);
                }
            }

            return Scalar(text);
        }

        var children = s.GetChildren().ToList();
        if (children.Count > 0 && children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var array = new JsonArray();
            foreach (var c in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(Json(c, key + "." + c.Key));
            }

            return array;
        }

        var obj = new JsonObject();
        foreach (var c in children)
        {
            obj[c.Key] = Json(c, key + "." + c.Key);
        }

        return obj;
    }

    private static JsonValue? Scalar(string text) => text switch
    {
        "true" or "True" => JsonValue.Create(true),
        "false" or "False" => JsonValue.Create(false),
        "null" or "None" => null,
        _ when NumberPattern().IsMatch(text) => text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase)
            ? JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture))
            : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : JsonValue.Create(text),
        _ => JsonValue.Create(text),
    };

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
