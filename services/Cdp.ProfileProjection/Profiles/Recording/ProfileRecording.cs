using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Publishing;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using Polly;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Appends resolved events to their profiles' streams, a batch at a time: one read of the markers and profiles, one
/// transaction with the markers, the events of every stream in one statement and each profile evolved as the inline
/// projection would. Events for a merged profile land on its survivor. Existing streams are appended at the version read,
/// so a writer in another instance makes the batch run again; this instance's merges wait for their turn
/// (ProfileWriters). The profiles committed are handed to the publisher (CommittedProfiles).
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
        // The profiles read here are evolved in place and stored below; a race lost runs again on a new session and a fresh read.
        await using var session = store.LightweightSession();
        var (pending, loaded) = await session.PendingAsync<EventResolved, CustomerProfile>(batch, MarkerOf, "profiles",
            [.. batch.Select(e => e.ProfileId).Distinct()], ct);
        if (pending.Count == 0) return;

        var profiles = await CanonicalProfiles.FollowingAsync(session, loaded, ct);
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

        // The profile store's appends go in one statement (ManyStreamAppend), which runs no inline projection: each profile
        // is evolved by the projection's own code (AppendAtVersionRead) and stored with the append. What the publisher is
        // handed once this commits is that profile.
        var appends = streams.Select(s => CanonicalProfiles.AppendAtVersionRead(s.Key, s.Value.Read, [.. s.Value.Events.Select(e => e.Event)],
            [.. s.Value.Events.Select(e => e.Trace)], computed)).ToList();
        // Stamped as Marten stamps its appends: when the transaction is about to be written, not when the group began.
        session.AppendToStreams<CustomerProfile>(appends, clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        committed.Add(appends.Select(a => a.Aggregate));
    }
}
