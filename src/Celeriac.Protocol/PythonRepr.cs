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
                        WriteString(sb, v.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        sb.Append("True");
                        break;
                    case JsonValueKind.False:
                        sb.Append("False");
                        break;
                    case JsonValueKind.Number:
                        var text = v.ToJsonString();
                        sb.Append(text.Contains('.', StringComparison.Ordinal) || text.Contains('e', StringComparison.OrdinalIgnoreCase)
                            ? PythonFloat.Repr(double.Parse(text, CultureInfo.InvariantCulture))
                            : text);
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
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append(quote);
    }
}
