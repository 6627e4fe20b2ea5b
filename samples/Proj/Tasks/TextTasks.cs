using Celeriac.Tasks;

namespace Proj.Tasks;

/// <summary>Tasks in a second file: async, with the task context and a cancellation token.</summary>
public static class TextTasks
{
    [CeleriacTask("proj.tasks.text.shout")]
    public static async Task<string> Shout(string text, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken);
        return text.ToUpperInvariant() + "!";
    }

    [CeleriacTask("proj.tasks.text.describe")]
    public static string Describe(TaskContext context) =>
        $"{context.Request.TaskName}[{context.Request.Id}] on {context.Request.Hostname}, retries={context.Request.Retries}";
}
