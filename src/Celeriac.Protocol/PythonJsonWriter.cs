using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol;

/// <summary>
/// Writes JSON bytes exactly as Python's <c>json.dumps</c> does with kombu's defaults: separators <c>", "</c> and
/// <c>": "</c>, <c>ensure_ascii=True</c> (so the output is pure ASCII) and Python's float repr, into a pooled buffer.
/// Codecs write their fixed-shape objects straight through <see cref="Property"/> and friends instead of building a
/// <see cref="JsonObject"/> first, which would force a deep clone of every node they do not own.
/// Source: CPython Lib/json/encoder.py (py_encode_basestring_ascii, _make_iterencode).
/// </summary>
internal sealed class PythonJsonWriter : IDisposable
{
    // The explicit Begin/End API tracks "an item was written" per level in one bit; codecs nest a few levels only.
    private const int MaxExplicitDepth = 63;

    // Bytes json.dumps copies through unchanged: printable ASCII except the quote and the backslash.
    private static readonly SearchValues<byte> PlainBytes = SearchValues.Create(PlainAscii().Select(c => (byte)c).ToArray());
    private static readonly SearchValues<char> PlainChars = SearchValues.Create(PlainAscii());

    private byte[] _buffer;
    private int _length;
    private int _depth;
    private ulong _hasItem;

    /// <summary>Creates a writer whose buffer starts at <paramref name="capacity"/> bytes (rented, returned on dispose).</summary>
    public PythonJsonWriter(int capacity = 512)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => Written.ToArray();

    /// <summary>The text written; it is ASCII by construction.</summary>
    public string ToAsciiString() => Encoding.ASCII.GetString(Written);

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Opens an object; follow with <see cref="Property"/> + a value, repeated, then <see cref="EndObject"/>.</summary>
    public void BeginObject()
    {
        WriteByte((byte)'{');
        Push();
    }

    /// <summary>Closes the object opened by <see cref="BeginObject"/>.</summary>
    public void EndObject()
    {
        _depth--;
        WriteByte((byte)'}');
    }

    /// <summary>Opens an array; call <see cref="Item"/> before each value, then <see cref="EndArray"/>.</summary>
    public void BeginArray()
    {
        WriteByte((byte)'[');
        Push();
    }

    /// <summary>Closes the array opened by <see cref="BeginArray"/>.</summary>
    public void EndArray()
    {
        _depth--;
        WriteByte((byte)']');
    }

    /// <summary>Writes the separator due before the next item of the current array.</summary>
    public void Item() => Separator();

    /// <summary>Writes the separator due before a property, the quoted name and <c>": "</c>; the value comes next.</summary>
    public void Property(string name)
    {
        Separator();
        String(name);
        WriteRaw(": "u8);
    }

    /// <summary>Writes <c>null</c>.</summary>
    public void Null() => WriteRaw("null"u8);

    /// <summary>Writes <c>true</c> or <c>false</c>.</summary>
    public void Bool(bool value) => WriteRaw(value ? "true"u8 : "false"u8);

    /// <summary>Writes an integer.</summary>
    public void Number(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    /// <summary>Writes a quoted string with <c>ensure_ascii</c> escapes, or <c>null</c>.</summary>
    public void String(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        // Worst case every char becomes a six-byte \uXXXX escape.
        Ensure((value.Length * 6) + 2);
        var span = _buffer.AsSpan();
        span[_length++] = (byte)'"';
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var plain = rest.IndexOfAnyExcept(PlainChars);
            var chunk = plain < 0 ? rest : rest[..plain];
            System.Text.Ascii.FromUtf16(chunk, span[_length..], out var written);
            _length += written;
            if (plain < 0)
            {
                break;
            }

            _length += Escape(rest[plain], span[_length..]);
            rest = rest[(plain + 1)..];
        }

        span[_length++] = (byte)'"';
    }

    /// <summary>Writes <paramref name="data"/> as a quoted base64 string (standard alphabet, padded).</summary>
    public void Base64String(ReadOnlySpan<byte> data)
    {
        Ensure(Base64.GetMaxEncodedToUtf8Length(data.Length) + 2);
        _buffer[_length++] = (byte)'"';
        Base64.EncodeToUtf8(data, _buffer.AsSpan(_length), out _, out var written);
        _length += written;
        _buffer[_length++] = (byte)'"';
    }

    /// <summary>Writes any JSON node.</summary>
    public void Node(JsonNode? node)
    {
        switch (node)
        {
            case null:
                Null();
                break;
            case JsonObject obj:
                WriteByte((byte)'{');
                for (var i = 0; i < obj.Count; i++)
                {
                    if (i > 0)
                    {
                        WriteRaw(", "u8);
                    }

                    var (key, value) = obj.GetAt(i);
                    String(key);
                    WriteRaw(": "u8);
                    Node(value);
                }

                WriteByte((byte)'}');
                break;
            case JsonArray arr:
                WriteByte((byte)'[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        WriteRaw(", "u8);
                    }

                    Node(arr[i]);
                }

                WriteByte((byte)']');
                break;
            case JsonValue value:
                Value(value);
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON node {node.GetType()}");
        }
    }

    private void Value(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            Element(element);
            return;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                String(KombuValues.TextOf(value));
                return;
            case JsonValueKind.Number:
                Ascii(PythonNumber.Format(value));
                return;
            case JsonValueKind.True:
                Bool(true);
                return;
            case JsonValueKind.False:
                Bool(false);
                return;
            case JsonValueKind.Null:
                Null();
                return;
            default:
                // A CLR object or collection put into a JsonValue: serialize it to a node so the Python layout applies.
                Node(JsonNode.Parse(value.ToJsonString()));
                return;
        }
    }

    private void Element(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                // Parsed text that needs no escaping (ids, names, base64) is copied as it came, quotes included.
                var raw = JsonMarshal.GetRawUtf8Value(element);
                if (raw[1..^1].IndexOfAnyExcept(PlainBytes) < 0)
                {
                    WriteRaw(raw);
                }
                else
                {
                    String(element.GetString());
                }

                return;
            case JsonValueKind.Number:
                var number = JsonMarshal.GetRawUtf8Value(element);
                if (number.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && !number.SequenceEqual("-0"u8))
                {
                    WriteRaw(number);
                }
                else
                {
                    Ascii(PythonNumber.Format(element));
                }

                return;
            case JsonValueKind.True:
                Bool(true);
                return;
            case JsonValueKind.False:
                Bool(false);
                return;
            case JsonValueKind.Null:
                Null();
                return;
            default:
                Node(JsonNode.Parse(element.GetRawText()));
                return;
        }
    }

    private static int Escape(char c, Span<byte> destination)
    {
        byte shortForm = c switch
        {
            '"' => (byte)'"',
            '\\' => (byte)'\\',
            '\n' => (byte)'n',
            '\r' => (byte)'r',
            '\t' => (byte)'t',
            '\b' => (byte)'b',
            '\f' => (byte)'f',
            _ => 0,
        };
        destination[0] = (byte)'\\';
        if (shortForm != 0)
        {
            destination[1] = shortForm;
            return 2;
        }

        // Everything else outside printable ASCII, surrogate halves included, is a lowercase \uXXXX escape.
        destination[1] = (byte)'u';
        destination[2] = Hex(c >> 12);
        destination[3] = Hex((c >> 8) & 0xF);
        destination[4] = Hex((c >> 4) & 0xF);
        destination[5] = Hex(c & 0xF);
        return 6;
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private static char[] PlainAscii() => [.. Enumerable.Range(0x20, 0x7f - 0x20).Select(i => (char)i).Where(c => c is not ('"' or '\\'))];

    private void Ascii(string text)
    {
        Ensure(text.Length);
        System.Text.Ascii.FromUtf16(text, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    private void Push()
    {
        if (++_depth > MaxExplicitDepth)
        {
            throw new InvalidOperationException("PythonJsonWriter: explicit nesting is limited to 63 levels");
        }

        _hasItem &= ~(1UL << _depth);
    }

    private void Separator()
    {
        var bit = 1UL << _depth;
        if ((_hasItem & bit) != 0)
        {
            WriteRaw(", "u8);
        }
        else
        {
            _hasItem |= bit;
        }
    }

    private void WriteByte(byte b)
    {
        Ensure(1);
        _buffer[_length++] = b;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Ensure(int extra)
    {
        if (_length + extra <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + extra));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
