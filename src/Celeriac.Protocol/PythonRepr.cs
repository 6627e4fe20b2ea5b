using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// Python's <c>repr()</c> of JSON values, for the <c>argsrepr</c>/<c>kwargsrepr</c> headers and for events:
/// <c>(2, 3)</c>, <c>{'k': 'v'}</c>, <c>None</c>. Truncated to 1024 characters as Celery's saferepr does.
/// Source: celery/utils/saferepr.py, celery/app/amqp.py (argsrepr).
/// </summary>
public static class PythonRepr
{
    /// <summary>The longest repr Celery writes into headers.</summary>
    public const int MaxLength = 1024;

    /// <summary>The repr of positional args as a Python tuple: <c>()</c>, <c>(1,)</c>, <c>(2, 3)</c>.</summary>
    public static string Args(JsonArray args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var sb = new StringBuilder("(");
        for (var i = 0; i < args.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            Write(sb, args[i]);
        }

        if (args.Count == 1)
        {
            sb.Append(',');
        }

        sb.Append(')');
        return Truncate(sb);
    }

    /// <summary>The repr of any JSON value.</summary>
    public static string Of(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return Truncate(sb);
    }

    /// <summary>The repr of any JSON value, whole (Python's <c>str()</c> of a container, as the CLI prints it).</summary>
    public static string Untruncated(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static string Truncate(StringBuilder sb) => sb.Length <= MaxLength ? sb.ToString() : sb.ToString(0, MaxLength - 3) + "...";

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("None");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in obj)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    WriteString(sb, k);
                    sb.Append(": ");
                    Write(sb, v);
                }

                sb.Append('}');
                break;
            case JsonArray arr:
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Write(sb, arr[i]);
                }

                sb.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(sb, KombuValues.TextOf(v));
                        break;
                    case JsonValueKind.True:
                        sb.Append("True");
                        break;
                    case JsonValueKind.False:
                        sb.Append("False");
                        break;
                    case JsonValueKind.Number:
                        // json.dumps and repr agree on numbers except the non-finite floats.
                        sb.Append(PythonNumber.Format(v) switch
                        {
                            "NaN" => "nan",
                            "Infinity" => "inf",
                            "-Infinity" => "-inf",
                            var text => text,
                        });
                        break;
                    default:
                        sb.Append("None");
                        break;
                }

                break;
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        // Python prefers single quotes unless the text has a single quote and no double quote.
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '\\':
                    sb.Append("\\\\");
                    continue;
                case '\n':
                    sb.Append("\\n");
                    continue;
                case '\r':
                    sb.Append("\\r");
                    continue;
                case '\t':
                    sb.Append("\\t");
                    continue;
            }

            if (c == quote)
            {
                sb.Append('\\').Append(c);
                continue;
            }

            if (c is >= ' ' and < '\u007f')
            {
                sb.Append(c);
                continue;
            }

            // A lone surrogate is escaped as itself; a pair is one code point, judged and escaped whole.
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var rune = new Rune(c, s[i + 1]);
                i++;
                if (IsPrintable(rune))
                {
                    sb.Append(c).Append(s[i]);
                }
                else
                {
                    sb.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
                }

                continue;
            }

            if (!char.IsSurrogate(c) && IsPrintable(new Rune(c)))
            {
                sb.Append(c);
            }
            else if (c <= '\u00ff')
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        sb.Append(quote);
    }

    // Python's str.isprintable(): everything but the "Other" and "Separator" categories, except the space itself.
    private static bool IsPrintable(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        UnicodeCategory.SpaceSeparator => rune.Value == ' ',
        _ => true,
    };
}
