using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// Reads back the Python <c>repr()</c> that events carry for args and kwargs (<c>(2, 'x')</c>, <c>{'k': None}</c>)
/// when it is made only of literals — str, int, float, True/False/None, tuple, list, dict — as
/// <c>ast.literal_eval</c> would. Anything else (an object's repr, a truncated <c>...</c>, a masked
/// <c>argsrepr</c>) is refused: a re-run must never be sent with arguments we only guessed.
/// </summary>
internal sealed class PythonLiteral
{
    private readonly string _text;
    private int _pos;

    private PythonLiteral(string text)
    {
        _text = text;
    }

    /// <summary>Parses <paramref name="text"/>; tuples become JSON arrays.</summary>
    /// <exception cref="FormatException">The text is not a plain Python literal.</exception>
    public static JsonNode? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var p = new PythonLiteral(text);
        var value = p.Value(depth: 0);
        p.SkipSpace();
        if (p._pos != text.Length)
        {
            throw p.Error("unexpected text after the value");
        }

        return value;
    }

    private JsonNode? Value(int depth)
    {
        if (depth > 64)
        {
            throw Error("nested too deeply");
        }

        SkipSpace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end");
        }

        var c = _text[_pos];
        switch (c)
        {
            case '(':
                return Sequence(')', depth, tuple: true);
            case '[':
                return Sequence(']', depth, tuple: false);
            case '{':
                return Dict(depth);
            case '\'':
            case '"':
                return String();
        }

        if (c is '-' or '+' or '.' || char.IsAsciiDigit(c))
        {
            return Number();
        }

        var word = Word();
        return word switch
        {
            "None" => null,
            "True" => JsonValue.Create(true),
            "False" => JsonValue.Create(false),
            _ => throw Error(word.Length == 0 ? $"'{c}' starts no literal" : $"'{word}' is not a literal"),
        };
    }

    private JsonArray Sequence(char close, int depth, bool tuple)
    {
        _pos++;
        var items = new JsonArray();
        SkipSpace();
        if (Peek(close))
        {
            _pos++;
            return items;
        }

        while (true)
        {
            items.Add(Value(depth + 1));
            SkipSpace();
            if (Peek(','))
            {
                _pos++;
                SkipSpace();
                if (Peek(close))
                {
                    _pos++;
                    return items;
                }

                continue;
            }

            if (Peek(close))
            {
                if (tuple && items.Count == 1)
                {
                    // (x) is x in parentheses, not a tuple; args reprs always have the comma.
                    throw Error("a parenthesised value is not a tuple");
                }

                _pos++;
                return items;
            }

            throw Error($"expected ',' or '{close}'");
        }
    }

    private JsonObject Dict(int depth)
    {
        _pos++;
        var obj = new JsonObject();
        SkipSpace();
        if (Peek('}'))
        {
            _pos++;
            return obj;
        }

        while (true)
        {
            SkipSpace();
            if (!Peek('\'') && !Peek('"'))
            {
                throw Error("dict keys must be strings to become JSON");
            }

            var key = String();
            SkipSpace();
            Expect(':');
            obj[key] = Value(depth + 1);
            SkipSpace();
            if (Peek(','))
            {
                _pos++;
                SkipSpace();
                if (Peek('}'))
                {
                    _pos++;
                    return obj;
                }

                continue;
            }

            Expect('}');
            return obj;
        }
    }

    private string String()
    {
        var quote = _text[_pos++];
        var sb = new StringBuilder();
        while (_pos < _text.Length)
        {
            var c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
            {
                break;
            }

            var e = _text[_pos++];
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'a': sb.Append('\a'); break;
                case 'v': sb.Append('\v'); break;
                case '0': sb.Append('\0'); break;
                case 'x': sb.Append((char)Hex(2)); break;
                case 'u': sb.Append((char)Hex(4)); break;
                case 'U': sb.Append(char.ConvertFromUtf32(Hex(8))); break;
                default: throw Error($"unknown escape \\{e}");
            }
        }

        throw Error("a string is not closed");
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _text.Length || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            throw Error("bad escape");
        }

        _pos += digits;
        return value;
    }

    private JsonNode Number()
    {
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '-' or '+' or '.' or '_'))
        {
            _pos++;
        }

        var token = _text[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
        if (BigInteger.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
        {
            return big >= long.MinValue && big <= long.MaxValue ? JsonValue.Create((long)big) : JsonNode.Parse(big.ToString(CultureInfo.InvariantCulture))!;
        }

        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        throw Error($"'{token}' is not a number JSON can carry");
    }

    private string Word()
    {
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }

    private bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;

    private void Expect(char c)
    {
        if (!Peek(c))
        {
            throw Error($"expected '{c}'");
        }

        _pos++;
    }

    private FormatException Error(string why) => new($"not a plain Python literal ({why} at position {_pos})");
}
