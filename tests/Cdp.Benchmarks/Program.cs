using System.CommandLine;
using Cdp.Benchmarks;

var root = new RootCommand("Cdp.Events benchmarks: harnesses that print figures. Run them through `./cdp bench`.");
root.Subcommands.Add(CollectorBenchmark.Command());
root.Subcommands.Add(IdentityBenchmark.Command());
root.Subcommands.Add(ProfileBenchmark.Command());
root.Subcommands.Add(ActivationBenchmark.Command());
root.Subcommands.Add(OpsBenchmark.Command());
root.Subcommands.Add(RawLimits.Command());
root.Subcommands.Add(Cdp.Benchmarks.Pipeline.PipelineBenchmark.Command());
return await root.Parse(args).InvokeAsync();
