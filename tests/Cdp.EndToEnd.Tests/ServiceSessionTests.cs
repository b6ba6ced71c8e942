using Cdp.Testing;

namespace Cdp.EndToEnd.Tests;

/// The harness runs each service as `./cdp up` does, in a session of its own with a lowered share of a busy CPU: Linux
/// shares it between sessions first, so services sharing the harness's session were measured with one share for all.
public sealed class ServiceSessionTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("sessions", report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public void Given_a_platform_then_each_service_leads_a_session_of_its_own()
    {
        var sessions = Platform.Services.ToDictionary(s => s, s => SessionOf(_platform.ProcessIdOf(s)));

        foreach (var (service, session) in sessions) Assert.True(session == _platform.ProcessIdOf(service), $"{service} is in session {session}");
        Assert.DoesNotContain(SessionOf(Environment.ProcessId), sessions.Values);
    }

    [Fact]
    public void Given_a_platform_then_each_services_session_has_a_lowered_share_of_the_cpu()
    {
        // "/autogroup-<n> nice <n>"; absent where the kernel has no autogroups, and then no session has a share to lower.
        if (!File.Exists($"/proc/{Environment.ProcessId}/autogroup")) return;

        foreach (var service in Platform.Services)
        {
            var autogroup = File.ReadAllText($"/proc/{_platform.ProcessIdOf(service)}/autogroup").Trim();
            Assert.EndsWith($" nice {ServiceProcesses.AutogroupNice}", autogroup);
        }
    }

    // /proc/<pid>/stat: "pid (name) state ppid pgrp session ...", where the name may hold spaces and parentheses.
    private static int SessionOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }
}
