using System.Text.Json.Nodes;

namespace Celeriac.Tasks;

/// <summary>
/// A value passed to a task called in-process ahead of its JSON arguments (a new-style errback's request, exception
/// and traceback): one of <see cref="Values"/> when the parameter's type takes it, else <see cref="Json"/>.
/// </summary>
/// <param name="Values">CLR forms, tried in order (e.g. a <see cref="TaskRequest"/>).</param>
/// <param name="Json">The JSON form, for parameters of other types (a dict for a request, Celery's exception dict).</param>
internal readonly record struct LeadingArgument(object?[] Values, JsonNode? Json)
{
    /// <summary>The CLR value a parameter of <paramref name="type"/> takes, if any.</summary>
    public bool For(Type type, out object? value)
    {
        foreach (var v in Values)
        {
            if (v is not null && type.IsInstanceOfType(v))
            {
                value = v;
                return true;
            }
        }

        value = null;
        return false;
    }
}
