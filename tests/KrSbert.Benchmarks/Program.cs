using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/KrSbert.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
