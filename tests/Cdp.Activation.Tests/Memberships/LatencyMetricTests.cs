using Cdp.Testing;

namespace Cdp.Activation.Tests.Memberships;

public class LatencyMetricTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    [Fact]
    public async Task Given_a_change_recorded_when_the_metrics_are_scraped_then_its_latency_can_be_read_to_a_fraction_of_a_second()
    {
        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, """{"plan":"pro"}""") with { ReceivedAt = DateTimeOffset.UtcNow.AddSeconds(-3) });
        await Eventually.TrueAsync(async () => (await fixture.Admin.GetAsync($"/v1/activation/profiles/{id}")).IsSuccessStatusCode,
            what: "the change recorded");

        var buckets = MetricHistograms.Parse(await fixture.Admin.GetStringAsync("/metrics")).Buckets("cdp_events_latency_seconds", "activation");
        // Accepted 3 s before it was sent: between the 2.5 and 5 s bounds. Buckets are cumulative, and other tests'
        // changes count in them too (the meter is the process's), which can only widen the difference.
        Assert.True(buckets[5] - buckets[2.5] >= 1, string.Join(", ", buckets));
        // Bounds fine enough to read a sub-second p99 from.
        Assert.Subset(buckets.Keys.ToHashSet(), new HashSet<double> { 0.1, 0.2, 0.5, 0.75, 1 });
    }
}
