using System.Reflection;

namespace Celeriac.Tasks;

/// <summary>A registered task: its name, settings and the code that runs it.</summary>
public sealed class TaskDefinition
{
    internal TaskDefinition(string name, MethodInfo method, object? target, TaskSettings settings)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("a task needs a name", nameof(name));
        }

        Name = name;
        Method = method;
        Settings = settings;
        try
        {
            RatePerSecond = RateLimit.Parse(settings.RateLimit);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"task '{name}': {ex.Message}", nameof(settings), ex);
        }
        Invoker = new TaskInvoker(name, method, target);
    }

    /// <summary>The registered name, e.g. <c>proj.tasks.add</c>.</summary>
    public string Name { get; }

    /// <summary>The task's own settings (null values fall back to the app's).</summary>
    public TaskSettings Settings { get; }

    /// <summary>The parsed <see cref="TaskSettings.RateLimit"/> in tasks per second, or null.</summary>
    public double? RatePerSecond { get; }

    /// <summary>The method that runs.</summary>
    public MethodInfo Method { get; }

    /// <summary>Whether the body is asynchronous (runs inline) or blocking (runs on a worker thread).</summary>
    public bool IsAsync => Invoker.IsAsync;

    internal TaskInvoker Invoker { get; }
}
