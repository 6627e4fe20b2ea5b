using System.Text;

namespace Celeriac.Dashboard.History;

/// <summary>
/// The search box's language, compiled to SQL: words (or "quoted phrases") must all appear in the task's id, name,
/// args, kwargs, result or exception; <c>field:value</c> looks in one field only (<c>id</c> by prefix, <c>name</c>,
/// <c>state</c>, <c>worker</c>, <c>args</c>, <c>kwargs</c>, <c>result</c>, <c>exception</c>). Matching ignores case; a
/// full task id also finds its children, descendants and re-runs. Values are always bound as parameters. Substrings of
/// three characters or more are looked up in the trigram index (<c>task_text</c>), so a search does not read every task.
/// </summary>
internal static class TaskSearch
{
    public const int MaxTerms = 16;

    /// <summary>The trigram index finds substrings of at least three characters; shorter ones are scanned for.</summary>
    private const int MinIndexedLength = 3;

    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = "id",
        ["uuid"] = "id",
        ["name"] = "name",
        ["state"] = "state",
        ["worker"] = "worker",
        ["args"] = "args",
        ["kwargs"] = "kwargs",
        ["result"] = "result",
        ["exception"] = "exception",
    };

    /// <summary>Appends the search's conditions to <paramref name="where"/>; parameters go into <paramref name="parameters"/>.</summary>
    /// <exception cref="FormatException">The search is malformed (unknown field, unterminated quote, too many terms).</exception>
    public static void Compile(string search, List<string> where, List<KeyValuePair<string, object>> parameters)
    {
        var terms = Tokenize(search);
        if (terms.Count > MaxTerms)
        {
            throw new FormatException($"a search may have at most {MaxTerms} terms");
        }

        foreach (var (field, value) in terms)
        {
            var p = "@s" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (field is null)
            {
                var exact = p + "x";
                parameters.Add(new(exact, value));
                var ids = $"id = {exact} OR parent_id = {exact} OR root_id = {exact} OR retry_of = {exact}";
                if (value.Length >= MinIndexedLength)
                {
                    // Every branch is indexed (the trigram index answers the substring part), so SQLite reads only matches.
                    parameters.Add(new(p, Phrase(value)));
                    where.Add($"({ids} OR seq IN (SELECT rowid FROM task_text WHERE task_text MATCH {p}))");
                }
                else
                {
                    parameters.Add(new(p, Like(value)));
                    where.Add($"({ids} OR name LIKE {p} ESCAPE '\\' OR args LIKE {p} ESCAPE '\\' OR kwargs LIKE {p} ESCAPE '\\' " +
                        $"OR result LIKE {p} ESCAPE '\\' OR exception LIKE {p} ESCAPE '\\')");
                }

                continue;
            }

            if (!Fields.TryGetValue(field, out var column))
            {
                throw new FormatException($"unknown search field '{field}'; use one of {string.Join(", ", Fields.Keys.Distinct(StringComparer.Ordinal))}");
            }

            if (column == "state")
            {
                parameters.Add(new(p, value.ToUpperInvariant()));
                where.Add($"state = {p}");
            }
            else if (column == "id")
            {
                // A prefix of the id, as people paste the first characters of a UUID: a range on the unique index.
                parameters.Add(new(p, value));
                parameters.Add(new(p + "end", value + char.MaxValue));
                where.Add($"id >= {p} AND id < {p}end");
            }
            else
            {
                parameters.Add(new(p, Like(value)));
                var condition = $"{column} LIKE {p} ESCAPE '\\'";
                if (value.Length >= MinIndexedLength && column != "worker")
                {
                    // The index narrows to the tasks whose text holds the value; LIKE then checks the one field.
                    parameters.Add(new(p + "t", Phrase(value)));
                    condition = $"seq IN (SELECT rowid FROM task_text WHERE task_text MATCH {p}t) AND {condition}";
                }

                where.Add(condition);
            }
        }
    }

    /// <summary>An FTS5 phrase: the trigram tokenizer then matches it as a case-insensitive substring.</summary>
    private static string Phrase(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    internal static List<(string? Field, string Value)> Tokenize(string search)
    {
        var terms = new List<(string?, string)>();
        var i = 0;
        while (i < search.Length)
        {
            if (char.IsWhiteSpace(search[i]))
            {
                i++;
                continue;
            }

            string? field = null;
            var start = i;
            while (i < search.Length && char.IsAsciiLetter(search[i]))
            {
                i++;
            }

            if (i < search.Length && i > start && search[i] == ':')
            {
                field = search[start..i];
                i++;
            }
            else
            {
                i = start;
            }

            var value = new StringBuilder();
            if (i < search.Length && search[i] == '"')
            {
                i++;
                var closed = false;
                while (i < search.Length)
                {
                    if (search[i] == '\\' && i + 1 < search.Length && search[i + 1] is '"' or '\\')
                    {
                        value.Append(search[i + 1]);
                        i += 2;
                        continue;
                    }

                    if (search[i] == '"')
                    {
                        closed = true;
                        i++;
                        break;
                    }

                    value.Append(search[i++]);
                }

                if (!closed)
                {
                    throw new FormatException("a quoted phrase is not closed");
                }
            }
            else
            {
                while (i < search.Length && !char.IsWhiteSpace(search[i]))
                {
                    value.Append(search[i++]);
                }
            }

            if (value.Length == 0)
            {
                throw new FormatException(field is null ? "empty search term" : $"'{field}:' needs a value");
            }

            terms.Add((field, value.ToString()));
        }

        return terms;
    }

    private static string Like(string value) => "%" + Escape(value) + "%";

    private static string LikePrefix(string value) => Escape(value) + "%";

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
