using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Publishing;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using Polly;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Appends resolved events to their profiles' streams, a batch at a time: one read of the markers
/// and profiles, one transaction with the markers. The inline projection updates each profile in
/// that transaction. Events for a merged profile land on its survivor. Existing streams are appended
/// at the version read, so a writer in another instance makes the batch run again; this instance's merges wait for
/// their turn (ProfileWriters). The profiles committed are handed to the publisher (CommittedProfiles).
public sealed class ProfileRecording(IDocumentStore store, ProfileWriters writers, TimeProvider clock, CommittedProfiles committed,
    IReadOnlyList<ComputedTraitDefinition> computed)
{
    private static readonly ResiliencePipeline RaceRetry = LostRace.RetryPipeline();

    // Message ids are unique per source: two sources may reuse one without being duplicates. An event that
    // re-resolution moved is recorded again on its new profile, once per re-resolution.
    private static string MarkerOf(EventResolved e) =>
        e.Reassignment is { } run ? $"{run}:{e.Event.SourceId}:{e.Event.MessageId}" : $"{e.Event.SourceId}:{e.Event.MessageId}";

    public Task RecordAsync(IReadOnlyList<EventResolved> batch, CancellationToken ct) =>
        RaceRetry.ExecuteAsync(async token => await RecordOnceAsync(batch, token), ct).AsTask();

    private async Task RecordOnceAsync(IReadOnlyList<EventResolved> batch, CancellationToken ct)
    {
        using var turn = await writers.TakeTurnAsync(ct);
        // An identity map: the inline projection finds the profiles this batch has just read instead of loading
        // them again (UseIdentityMapForAggregates, ProfileRegistration). Nothing here changes the loaded documents.
        await using var session = store.IdentitySession();
        var pending = await session.PendingAsync(batch, MarkerOf, "profiles", ct);
        if (pending.Count == 0) return;

        var profiles = await CanonicalProfiles.LoadFollowingAsync(session, pending.Select(p => p.ProfileId), ct);
        var now = clock.GetUtcNow();
        var streams = new Dictionary<string, (CustomerProfile? Read, HashSet<string> Held, List<(object Event, string? Trace)> Events)>();
        session.MarkProcessed([.. pending.Select(MarkerOf)], now);
        foreach (var resolved in pending)
        {
            var (profileId, superseded) = CanonicalProfiles.Follow(profiles, resolved.ProfileId);
            if (resolved.Reassignment is null && superseded)
            {
                // Resolved before identity rules were applied again; its re-attributed copy is recorded instead.
                continue;
            }
            if (!streams.TryGetValue(profileId, out var stream))
            {
                var read = profiles.GetValueOrDefault(profileId);
                streams[profileId] = stream = (read, [.. read?.IdentifierKeys ?? []], []);
            }
            var newIdentifiers = resolved.Identifiers.Where(i => stream.Held.Add(i.ToString())).ToList();
            stream.Events.Add((CustomerEventFactory.From(profileId, resolved.Event, newIdentifiers), resolved.TraceParent));
        }

        // What the publisher is handed once this commits: the profile read here, which the inline projection evolves in
        // place (the identity map), or a new one folded from its events by the projection's own code; each with the
        // version written, so a read the projection evidently did not evolve is left for the publisher to read.
        var handed = new List<(CustomerProfile Profile, long Version)>(streams.Count);
        foreach (var (id, (read, _, events)) in streams)
        {
            var data = events.Select(e => e.Event).ToList();
            session.AppendAtVersionRead(id, read, data).TraceEach([.. events.Select(e => e.Trace)]);
            handed.Add((read ?? Folded(id, data), (read?.Version ?? 0) + data.Count));
        }
        await session.SaveChangesAsync(ct);
        committed.Add(handed.Where(h => h.Profile.Version == h.Version).Select(h => h.Profile));
    }

    private CustomerProfile Folded(string id, IReadOnlyList<object> events)
    {
        var profile = new CustomerProfile { Id = id, Version = events.Count };
        foreach (var data in events) profile.Record(data, computed);
        return profile;
    }
}
