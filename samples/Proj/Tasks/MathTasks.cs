using Celeriac.Tasks;

namespace Proj.Tasks;

/// <summary>Arithmetic tasks, as in Celery's proj/tasks.py.</summary>
public static class MathTasks
{
    [CeleriacTask("proj.tasks.add")]
    public static int Add(int x, int y) => x + y;

    [CeleriacTask("proj.tasks.mul")]
    public static int Mul(int x, int y) => x * y;

    [CeleriacTask("proj.tasks.xsum")]
    public static long XSum(long[] numbers) => numbers.Sum();

    [CeleriacTask("proj.tasks.sleep")]
    public static async Task<double> Sleep(double seconds, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        return seconds;
    }
}
