using BenchmarkDotNet.Running;

// Usage: dotnet run -c Release --project bench/Celeriac.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
