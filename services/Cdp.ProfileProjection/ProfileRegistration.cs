using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Profiles.Api;
using Cdp.ProfileProjection.Profiles.Merging;
using Cdp.ProfileProjection.Profiles.Rebuilding;
using Cdp.ProfileProjection.Profiles.Recording;
using Cdp.ProfileProjection.Publishing;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events.Projections;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace Cdp.ProfileProjection;

public static class ProfileRegistration
{
    public static WebApplicationBuilder AddProfileProjection(this WebApplicationBuilder builder)
    {
        var computed = builder.Configuration.GetSection("Cdp:Profiles:ComputedTraits").Get<List<ComputedTraitDefinition>>() ?? [];
        foreach (var c in computed.Where(c => string.IsNullOrWhiteSpace(c.Name) || string.IsNullOrWhiteSpace(c.Event)
                     || !ComputedTraitDefinition.Aggregates.Contains(c.Aggregate) || (c.Aggregate != "count" && string.IsNullOrWhiteSpace(c.Property))))
        {
            throw new InvalidOperationException($"Cdp:Profiles:ComputedTraits entry '{c.Name}' needs a Name, an Event, an Aggregate of " +
                $"{string.Join(", ", ComputedTraitDefinition.Aggregates)}, and a Property unless it counts.");
        }
        builder.Services.AddSingleton<IReadOnlyList<ComputedTraitDefinition>>(computed);
        builder.Services.AddSingleton<ProfileWriters>();
        builder.Services.AddSingleton<ProfileRecording>();
        builder.Services.AddSingleton(sp => new CommittedProfiles(sp.GetRequiredService<TimeProvider>()));
        // One group at a time: two groups at once (in lanes by profile id) recorded 15-20 % more events/s flat out but
        // raised the pipeline's audience change latency at 1,000 events/s (docs/performance.md, sixth round).
        builder.Services.AddGroupCommit<EventResolved>(sp => sp.GetRequiredService<ProfileRecording>().RecordAsync, maxEntries: 800, concurrency: 1);
        builder.Services.AddSingleton<ProfileMerging>();
        // Merges come a few at a time, and each group holds the writer the recording waits for: at 1,000 events/s,
        // 11-17 merge groups a second of 2-3 merges. A group at most every 250 ms, unless it was full (a backlog): 3.9 a
        // second of about 8 (docs/performance.md, nineteenth round).
        builder.Services.AddGroupCommit<MergeToCarryOut>(sp => sp.GetRequiredService<ProfileMerging>().MergeAsync, maxEntries: 200, concurrency: 1,
            pace: TimeSpan.FromMilliseconds(250));
        builder.Services.AddProjectionRebuilds(CustomerProfileProjection.ProjectionName);
        builder.Services.AddSingleton<IProjectionRebuild, ProfileRebuild>();
        builder.AddCdpMessaging("profiles", x =>
        {
            // Both queues feed one GroupCommit: one batch at a time per process; other processes' batches are kept
            // apart by stream versions.
            // Events sent alone (other publishers):
            x.AddGroupedConsumer<EventResolvedConsumer>(200);
            // What IdentityResolution sends, up to MessageBatches.MaxEntries events a message.
            x.AddGroupedConsumer<EventsResolvedConsumer>(32);
            // Merges arriving while a group is carried out wait for the next group (ProfileMerging). As many in flight as a
            // group takes: with 32, a group held at most 32 merges, one group to each of the recording's turns, and in a
            // five-minute run at 1,000 events/s the merges' queue grew to 1,542 while 22-28 merges a second were carried out.
            x.AddGroupedConsumer<ProfilesMergedConsumer>(200);
            x.AddConsumer<ProfileRetiredConsumer>();
        });
        builder.AddCdpMarten("profiles", options =>
            {
                options.Projections.Add(new CustomerProfileProjection(computed), ProjectionLifecycle.Inline);
                // The recording and the merges append in one statement and evolve their profiles themselves
                // (ProfileRecording, ProfileMerging); the inline projection runs for Marten's own appends (a retirement).
                // It takes a profile already read from the session's identity map instead of loading it again.
                options.Events.UseIdentityMapForAggregates = true;
                // Only the identifier keys are indexed for lookups, in a column of their own: an index on the document
                // (whole, or an expression on it) made every profile update a non-HOT one that wrote new entries into
                // each index (0 of 117,386 updates HOT); with the keys in their own column, which rarely changes,
                // 92 % were HOT, at half the WAL an update (docs/performance.md, tenth round).
                options.Schema.For<CustomerProfile>().Duplicate(p => p.IdentifierKeys, pgType: "text[]",
                    dbType: NpgsqlDbType.Array | NpgsqlDbType.Text, configure: index => index.Method = IndexMethod.gin)
                    .FillFactor(MartenExtensions.RewrittenDocumentFillFactor);
                options.Events.AddEventType<IdentifiersLinked>();
                options.Events.AddEventType<Identified>();
                options.Events.AddEventType<Tracked>();
                options.Events.AddEventType<PageViewed>();
                options.Events.AddEventType<ScreenViewed>();
                options.Events.AddEventType<GroupJoined>();
                options.Events.AddEventType<Aliased>();
                options.Events.AddEventType<ProfileMergedFrom>();
                options.Events.AddEventType<ProfileMergedInto>();
                options.Events.AddEventType<ProfileSuperseded>();
            })
            .AddSubscriptionWithServices<ProfilePublisher>(ServiceLifetime.Singleton, o => o.Name = "profile-publisher");
        return builder;
    }

    public static WebApplication MapProfileProjection(this WebApplication app)
    {
        app.MapProfileApi();
        app.MapRebuildApi();
        return app;
    }
}
