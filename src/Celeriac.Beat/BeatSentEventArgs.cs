namespace Celeriac.Beat;

/// <summary>An entry's message was sent.</summary>
public sealed class BeatSentEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public BeatSentEventArgs(string name, string task, string taskId, DateTimeOffset sentAt)
    {
        Name = name;
        Task = task;
        TaskId = taskId;
        SentAt = sentAt;
    }

    /// <summary>The entry's name.</summary>
    public string Name { get; }

    /// <summary>The task name.</summary>
    public string Task { get; }

    /// <summary>The sent task's id (follow it with <c>app.AsyncResult(id)</c>).</summary>
    public string TaskId { get; }

    /// <summary>When the run was recorded, in the app's zone.</summary>
    public DateTimeOffset SentAt { get; }
}
