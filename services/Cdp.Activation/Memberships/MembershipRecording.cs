using System.Diagnostics;
using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Profiles;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using Marten.Services.BatchQuerying;
using Polly;

namespace Cdp.Activation.Memberships;

/// Decides and appends membership changes: for a batch of profile changes (every audience) and for a
/// page of a sweep (some audiences over every profile). Both lock the profiles they touch for the
/// length of their transaction, so a sweep and a live change never decide on different snapshots of
/// one profile, whichever instance runs them.
public sealed class MembershipRecording(IDocumentStore store, TimeProvider clock)
{
    private readonly ResiliencePipeline _retry = LostRace.RetryPipeline();

    public Task RecordAsync(IReadOnlyList<ProfileChanged> batch, CancellationToken ct) => _retry.ExecuteAsync(async token =>
    {
        // Only each profile's newest change matters; older or repeated versions change nothing.
        var latest = batch.GroupBy(m => m.ProfileId).Select(g => g.MaxBy(m => m.Version)!).ToList();
        string[] ids = [.. latest.Select(m => m.ProfileId)];
        await using var session = store.LightweightSession();
        var reads = await LockedReadsAsync(session, ids, token);
        var versions = StoredVersions(reads, ids);
        var audiencesRead = reads.Query<Audience>().ToList();
        var membershipsRead = reads.LoadMany<ProfileMemberships>().ById(ids);
        await reads.Execute(token);
        var stored = ids.Zip(await versions).ToDictionary(p => p.First, p => long.Parse(p.Second));
        var fresh = latest.Where(m => stored[m.ProfileId] < m.Version).ToList();
        if (fresh.Count < batch.Count)
        {
            CdpMetrics.DuplicatesSkipped.Add(batch.Count - fresh.Count, new KeyValuePair<string, object?>("consumer", "ProfileChangedConsumer"));
        }
        if (fresh.Count == 0) return;

        var audiences = await audiencesRead;
        var memberships = (await membershipsRead).ToDictionary(m => m.Id);
        var now = clock.GetUtcNow();
        var appends = new List<StreamAppend<ProfileMemberships>>();
        var states = new List<ProfileState>(fresh.Count);
        foreach (var changed in fresh)
        {
            var state = new ProfileState(changed.ProfileId, changed.Version, changed.Snapshot, changed.MessageId, now, changed.MergedInto)
                .DueFor(audiences, now);
            states.Add(state);
            memberships.TryGetValue(changed.ProfileId, out var current);
            var events = MembershipDecision.Decide(state, current, audiences, now, MembershipReasons.ProfileChanged, changed.MessageId);
            if (Evolve(session, state.Id, current, events) is { } append) appends.Add(append);
        }
        // One statement for the group's states, as for the memberships (DocumentUpserts): Marten's Store is a statement each.
        session.StoreAll(states, s => s.Id);
        session.AppendToStreams(appends, clock.GetUtcNow());
        await session.SaveChangesAsync(token);
        foreach (var changed in fresh)
        {
            CdpMetrics.EndToEndLatency.Record((now - changed.ReceivedAt).TotalSeconds, new KeyValuePair<string, object?>("stage", "activation"));
        }
    }, ct).AsTask();

    /// Evaluates <paramref name="audiences"/> for the profiles after <paramref name="after"/> (by id), one page: all of
    /// them, or with <paramref name="dueBy"/> only those due by then (ProfileState.DueAt; a clock sweep).
    /// <paramref name="inTransaction"/> adds the caller's own writes (progress) to the same commit.
    /// Returns the last profile id of the page and how many profiles it held, or null at the end.
    public Task<(string Last, int Count, int Changes)?> SweepPageAsync(IReadOnlyList<Audience> audiences, string? after, int pageSize, string reason,
        DateTimeOffset? dueBy, Action<IDocumentSession, string, int>? inTransaction, CancellationToken ct) => _retry.ExecuteAsync<(string, int, int)?>(async token =>
    {
        await using var session = store.LightweightSession();
        var dueFilter = dueBy is null ? "" : " and (due_at is null or due_at <= ?)";
        object[] arguments = dueBy is { } by ? [after ?? "", by, pageSize] : [after ?? "", pageSize];
        string[] ids = [.. await session.QueryAsync<string>(
            $"select id from {store.Options.DatabaseSchemaName}.mt_doc_profilestate where id > ?{dueFilter} order by id limit ?", token, arguments)];
        if (ids.Length == 0) return null;
        var reads = await LockedReadsAsync(session, ids, token);
        var statesRead = reads.LoadMany<ProfileState>().ById(ids);
        var membershipsRead = reads.LoadMany<ProfileMemberships>().ById(ids);
        // Due times are for every audience, not only those this page evaluates.
        var allRead = reads.Query<Audience>().ToList();
        await reads.Execute(token);
        var (states, memberships, all) = (await statesRead, (await membershipsRead).ToDictionary(m => m.Id), await allRead);
        var now = clock.GetUtcNow();
        var changes = 0;
        var appends = new List<StreamAppend<ProfileMemberships>>();
        var rescheduled = new List<ProfileState>();
        foreach (var state in states)
        {
            memberships.TryGetValue(state.Id, out var current);
            var events = MembershipDecision.Decide(state, current, audiences, now, reason, null);
            changes += events.Count;
            if (Evolve(session, state.Id, current, events) is { } append) appends.Add(append);
            if (state.DueFor(all, now) is var due && due.DueAt != state.DueAt) rescheduled.Add(due);
        }
        // A backfill of a windowed audience gives most of a page a new due time: one statement, as for a group's states.
        session.StoreAll(rescheduled, s => s.Id);
        inTransaction?.Invoke(session, ids[^1], ids.Length);
        session.AppendToStreams(appends, clock.GetUtcNow());
        await session.SaveChangesAsync(token);
        return (ids[^1], ids.Length, changes);
    }, ct).AsTask();

    /// The append of a profile's membership changes, with its memberships and its audiences' members changed as the inline
    /// projections would change them: the appends of a group go in one statement (ManyStreamAppend), which runs none.
    /// Marten's append took a call of its PL/pgSQL function per profile, about 6 % of PostgreSQL's statement time at
    /// 1,000 events/s, and its inline projection read again the memberships read here (docs/performance.md, twenty-first round).
    private static StreamAppend<ProfileMemberships>? Evolve(IDocumentSession session, string profileId, ProfileMemberships? current,
        IReadOnlyList<object> events)
    {
        if (events.Count == 0) return null;
        var memberships = current ?? new ProfileMemberships { Id = profileId };
        var versionRead = memberships.Version;
        foreach (var e in events)
        {
            memberships.Record(e);
            if (e is AudienceEntered entered) session.Store(AudienceMember.Of(entered));
            else if (e is AudienceExited exited) session.Delete<AudienceMember>(AudienceMember.IdOf(exited.AudienceKey, exited.ProfileId));
        }
        memberships.Version += events.Count;
        var trace = Activity.Current?.Id;
        return new StreamAppend<ProfileMemberships>(profileId, versionRead, events, [.. events.Select(_ => trace)], memberships);
    }

    // Only the versions (0 for a profile not stored yet): loading the stored snapshots made every change deserialize
    // one it then replaced.
    // As text: a batched query reads documents and strings, not numbers.
    private Task<IReadOnlyList<string>> StoredVersions(IBatchedQuery reads, string[] profileIds)
    {
        object[] parameters = [profileIds];
        return reads.Query<string>(
            $"select coalesce(s.data->>'Version', '0') from unnest(?) with ordinality as wanted(id, n) " +
            $"left join {store.Options.DatabaseSchemaName}.mt_doc_profilestate s on s.id = wanted.id order by wanted.n", parameters);
    }

    /// Starts the transaction and a batched query whose first statement takes transaction-scoped advisory locks on the
    /// profiles, in one order everywhere so two writers never deadlock. What the caller adds is read in the same round
    /// trip, under the locks: the statements of a batch run one after another, each seeing what was committed before it
    /// started, so a read sees the writes of a writer whose lock the first statement waited for.
    private static async Task<IBatchedQuery> LockedReadsAsync(IDocumentSession session, IEnumerable<string> profileIds, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        var reads = session.CreateBatchQuery();
        object[] parameters = [profileIds.Distinct().ToArray()];
        _ = reads.Query<string>(
            "select count(*)::text from (select pg_advisory_xact_lock(hashtextextended(id, 7219)) from (select unnest(?) as id order by 1) sorted) locked",
            parameters);
        return reads;
    }
}
