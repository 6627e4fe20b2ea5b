namespace Celeriac.Dashboard.History;

/// <summary>The columns the task list can be ordered by.</summary>
internal enum TaskSort
{
    Seen,
    Name,
    State,
    Worker,
    Received,
    Started,
    Runtime,
}
