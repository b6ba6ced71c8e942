using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Cdp.MicroBenchmarks;

public static class MicroBenchmarks
{
    // In process: a generated project would sit under tests/ and inherit the test projects' build settings.
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly)
        .Run(args, DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)));
}
