using Celeriac.Conformance.Sqlite;

namespace Celeriac.Conformance;

/// <summary>
/// The entry point when the SQLite cross-process tests start this assembly as a child process
/// (<c>dotnet exec Celeriac.Conformance.dll ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => CrossProcessChild.RunAsync(args);
}
