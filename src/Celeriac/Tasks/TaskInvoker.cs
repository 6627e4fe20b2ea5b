using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Celeriac.Protocol;

namespace Celeriac.Tasks;

/// <summary>
/// Binds Celery's positional and keyword arguments to a method's parameters (by position, then by name, as
/// Python does) and invokes it, awaiting Task/ValueTask results. Argument errors come out in Python's words.
/// </summary>
internal sealed class TaskInvoker
{
    private static readonly MethodInfo AwaitTaskOfT = typeof(TaskInvoker).GetMethod(nameof(AwaitTask), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo AwaitValueTaskOfT = typeof(TaskInvoker).GetMethod(nameof(AwaitValueTask), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly string _taskName;
    private readonly MethodInfo _method;
    private readonly object? _target;
    private readonly TaskParameter[] _parameters;
    private readonly TaskParameter[] _arguments;
    private readonly Func<object, Task<object?>>? _unwrap;
    private readonly int _required;

    public TaskInvoker(string taskName, MethodInfo method, object? target)
    {
        _taskName = taskName;
        _method = method;
        _target = target;
        _parameters = [.. method.GetParameters().Select(Classify)];
        _arguments = [.. _parameters.Where(p => p.Kind == ParameterKind.Argument)];
        _required = _arguments.Count(p => !p.Info.HasDefaultValue);

        var ret = method.ReturnType;
        if (ret == typeof(Task))
        {
            IsAsync = true;
            _unwrap = async o =>
            {
                await ((Task)o).ConfigureAwait(false);
                return null;
            };
        }
        else if (ret == typeof(ValueTask))
        {
            IsAsync = true;
            _unwrap = async o =>
            {
                await ((ValueTask)o).ConfigureAwait(false);
                return null;
            };
        }
        else if (ret.IsGenericType && ret.GetGenericTypeDefinition() == typeof(Task<>))
        {
            IsAsync = true;
            _unwrap = AwaitTaskOfT.MakeGenericMethod(ret.GetGenericArguments()[0]).CreateDelegate<Func<object, Task<object?>>>();
        }
        else if (ret.IsGenericType && ret.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            IsAsync = true;
            _unwrap = AwaitValueTaskOfT.MakeGenericMethod(ret.GetGenericArguments()[0]).CreateDelegate<Func<object, Task<object?>>>();
        }
    }

    /// <summary>True when the method returns a Task or ValueTask (it runs inline); false for blocking bodies.</summary>
    public bool IsAsync { get; }

    /// <summary>The parameter names that take arguments, in order (for <c>inspect registered</c> and docs).</summary>
    public IReadOnlyList<string> ArgumentNames => [.. _arguments.Select(p => p.Name)];

    /// <summary>
    /// Whether the method takes more than one positional argument (a <c>params</c> array counts as many): Celery's
    /// <c>arity_greater(fun, 1)</c>, which makes an errback new-style (called with request, exception and traceback).
    /// </summary>
    public bool TakesMoreThanOneArgument => _arguments.Length > 1 || _parameters.Any(p => p.Kind == ParameterKind.RestArgs);

    /// <summary>Binds <paramref name="args"/> and <paramref name="kwargs"/> to the parameters.</summary>
    /// <exception cref="TaskArgumentException">Wrong arity, unknown or duplicate names, or values of the wrong type.</exception>
    public object?[] Bind(JsonArray args, JsonObject kwargs, TaskContext context) => Bind(args, kwargs, context, []);

    /// <summary>
    /// Binds as <see cref="Bind(JsonArray, JsonObject, TaskContext)"/>, with <paramref name="leading"/> values before
    /// <paramref name="args"/>: each goes to its parameter as one of its CLR values when the parameter's type takes one,
    /// else as its JSON form converted like any argument.
    /// </summary>
    /// <exception cref="TaskArgumentException">Wrong arity, unknown or duplicate names, or values of the wrong type.</exception>
    public object?[] Bind(JsonArray args, JsonObject kwargs, TaskContext context, IReadOnlyList<LeadingArgument> leading)
    {
        ArgumentNullException.ThrowIfNull(leading);
        if (leading.Count > 0)
        {
            var all = new JsonArray();
            foreach (var l in leading)
            {
                all.Add(l.Json?.DeepClone());
            }

            foreach (var a in args)
            {
                all.Add(a?.DeepClone());
            }

            args = all;
        }

        return BindAll(args, kwargs, context, leading);
    }

    private object?[] BindAll(JsonArray args, JsonObject kwargs, TaskContext context, IReadOnlyList<LeadingArgument> leading)
    {
        var values = new object?[_parameters.Length];
        var assigned = new bool[_parameters.Length];
        var positional = 0;
        var restArgs = Array.FindIndex(_parameters, p => p.Kind == ParameterKind.RestArgs);
        var restKwargs = Array.FindIndex(_parameters, p => p.Kind == ParameterKind.RestKwargs);

        for (var i = 0; i < _parameters.Length && positional < args.Count; i++)
        {
            if (_parameters[i].Kind != ParameterKind.Argument)
            {
                continue;
            }

            values[i] = positional < leading.Count && leading[positional].For(_parameters[i].Type, out var clr)
                ? clr
                : Convert(args[positional], _parameters[i]);
            assigned[i] = true;
            positional++;
        }

        if (positional < args.Count)
        {
            if (restArgs < 0)
            {
                throw new TaskArgumentException($"{_taskName}() takes {_arguments.Length} positional argument{(_arguments.Length == 1 ? string.Empty : "s")} but {args.Count} {(args.Count == 1 ? "was" : "were")} given");
            }

            var elementType = _parameters[restArgs].Type.GetElementType()!;
            var rest = Array.CreateInstance(elementType, args.Count - positional);
            for (var j = positional; j < args.Count; j++)
            {
                rest.SetValue(ConvertValue(args[j], elementType, _parameters[restArgs].Name), j - positional);
            }

            values[restArgs] = rest;
            assigned[restArgs] = true;
        }

        JsonObject? leftover = null;
        foreach (var (key, value) in kwargs)
        {
            var index = FindArgument(key);
            if (index < 0)
            {
                if (restKwargs < 0)
                {
                    throw new TaskArgumentException($"{_taskName}() got an unexpected keyword argument '{key}'");
                }

                (leftover ??= [])[key] = value?.DeepClone();
                continue;
            }

            if (assigned[index])
            {
                throw new TaskArgumentException($"{_taskName}() got multiple values for argument '{key}'");
            }

            values[index] = Convert(value, _parameters[index]);
            assigned[index] = true;
        }

        var missing = new List<string>();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            switch (p.Kind)
            {
                case ParameterKind.CancellationToken:
                    values[i] = context.CancellationToken;
                    break;
                case ParameterKind.Context:
                    values[i] = context;
                    break;
                case ParameterKind.RestArgs when !assigned[i]:
                    values[i] = Array.CreateInstance(p.Type.GetElementType()!, 0);
                    break;
                case ParameterKind.RestKwargs:
                    values[i] = ConvertValue(leftover ?? [], p.Type, p.Name);
                    break;
                case ParameterKind.Argument when !assigned[i]:
                    if (p.Info.HasDefaultValue)
                    {
                        values[i] = p.Info.DefaultValue is DBNull ? null : p.Info.DefaultValue;
                    }
                    else
                    {
                        missing.Add(p.Name);
                    }

                    break;
            }
        }

        if (missing.Count > 0)
        {
            var names = missing.Count == 1 ? $"'{missing[0]}'" : string.Join(", ", missing.SkipLast(1).Select(m => $"'{m}'")) + $" and '{missing[^1]}'";
            throw new TaskArgumentException($"{_taskName}() missing {missing.Count} required positional argument{(missing.Count == 1 ? string.Empty : "s")}: {names}");
        }

        return values;
    }

    /// <summary>Invokes the method and awaits it when it is asynchronous; returns its result.</summary>
    public async Task<object?> InvokeAsync(object?[] values)
    {
        var returned = _method.Invoke(_target, BindingFlags.DoNotWrapExceptions, binder: null, values, culture: null);
        if (_unwrap is null || returned is null)
        {
            return returned;
        }

        return await _unwrap(returned).ConfigureAwait(false);
    }

    /// <summary>Invokes a blocking method synchronously (on the caller's thread).</summary>
    public object? InvokeBlocking(object?[] values) =>
        _method.Invoke(_target, BindingFlags.DoNotWrapExceptions, binder: null, values, culture: null);

    private static TaskParameter Classify(ParameterInfo p)
    {
        if (p.ParameterType == typeof(CancellationToken))
        {
            return new TaskParameter(p, ParameterKind.CancellationToken);
        }

        if (p.ParameterType == typeof(TaskContext))
        {
            return new TaskParameter(p, ParameterKind.Context);
        }

        if (p.GetCustomAttribute<TaskKwargsAttribute>() is not null)
        {
            return new TaskParameter(p, ParameterKind.RestKwargs);
        }

        if (p.GetCustomAttribute<ParamArrayAttribute>() is not null)
        {
            return new TaskParameter(p, ParameterKind.RestArgs);
        }

        return new TaskParameter(p, ParameterKind.Argument);
    }

    private int FindArgument(string key)
    {
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i].Kind == ParameterKind.Argument && string.Equals(_parameters[i].Name, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        var normalized = TaskParameter.Normalize(key);
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i].Kind == ParameterKind.Argument && _parameters[i].NormalizedName == normalized)
            {
                return i;
            }
        }

        return -1;
    }

    private object? Convert(JsonNode? node, TaskParameter p) => ConvertValue(node, p.Type, p.Name);

    private object? ConvertValue(JsonNode? node, Type type, string name)
    {
        if (node is null)
        {
            if (type.IsValueType && Nullable.GetUnderlyingType(type) is null)
            {
                throw new TaskArgumentException($"{_taskName}() argument '{name}' must be {TypeName(type)}, not None");
            }

            return null;
        }

        try
        {
            return KombuValues.FromNode(node, type);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NotSupportedException or OverflowException)
        {
            throw new TaskArgumentException($"{_taskName}() argument '{name}' must be {TypeName(type)}, got {PythonRepr.Of(node)}", ex);
        }
    }

    private static string TypeName(Type t)
    {
        var inner = Nullable.GetUnderlyingType(t) ?? t;
        return inner == typeof(int) || inner == typeof(long) || inner == typeof(short) ? "int"
            : inner == typeof(double) || inner == typeof(float) || inner == typeof(decimal) ? "float"
            : inner == typeof(string) ? "str"
            : inner == typeof(bool) ? "bool"
            : inner.Name;
    }

    private static async Task<object?> AwaitTask<T>(object task) => await ((Task<T>)task).ConfigureAwait(false);

    private static async Task<object?> AwaitValueTask<T>(object task) => await ((ValueTask<T>)task).ConfigureAwait(false);
}
