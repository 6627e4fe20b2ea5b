using System.Collections.Concurrent;
using System.Reflection;

namespace Celeriac.Tasks;

/// <summary>The tasks an app knows, by name.</summary>
public sealed class TaskRegistry
{
    private readonly ConcurrentDictionary<string, TaskDefinition> _tasks = new(StringComparer.Ordinal);

    /// <summary>The registered tasks.</summary>
    public IReadOnlyCollection<TaskDefinition> All => [.. _tasks.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Looks a task up.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TaskDefinition? task) => _tasks.TryGetValue(name, out task);

    /// <summary>Registers a task.</summary>
    /// <exception cref="InvalidOperationException">Another task has the name.</exception>
    public TaskDefinition Add(TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!_tasks.TryAdd(task.Name, task))
        {
            if (_tasks.TryGetValue(task.Name, out var existing) && existing.Method == task.Method)
            {
                return existing;
            }

            throw new InvalidOperationException($"a task named '{task.Name}' is already registered ({existing?.Method.DeclaringType}.{existing?.Method.Name})");
        }

        return task;
    }

    /// <summary>Registers every <see cref="CeleriacTaskAttribute"/> method of <paramref name="assembly"/>.</summary>
    /// <returns>The tasks found.</returns>
    public IReadOnlyList<TaskDefinition> AddFromAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var found = new List<TaskDefinition>();
        foreach (var type in assembly.GetTypes())
        {
            var instance = new Lazy<object?>(() => Activator.CreateInstance(type));
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                var attr = method.GetCustomAttribute<CeleriacTaskAttribute>();
                if (attr is null)
                {
                    continue;
                }

                if (!method.IsStatic && type.GetConstructor(Type.EmptyTypes) is null)
                {
                    throw new InvalidOperationException($"task method {type.FullName}.{method.Name} is an instance method, so {type.FullName} needs a public parameterless constructor (or make the method static)");
                }

                var name = attr.Name ?? $"{type.FullName}.{method.Name}";
                found.Add(Add(new TaskDefinition(name, method, method.IsStatic ? null : instance.Value, attr.ToSettings())));
            }
        }

        return found;
    }
}
