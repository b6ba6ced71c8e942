using BenchmarkDotNet.Running;

namespace Cdp.MicroBenchmarks;

public static class MicroBenchmarks
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args);
}
