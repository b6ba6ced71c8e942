using System.Diagnostics;
using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Profiles;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
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
        await using var session = store.LightweightSession();
        await LockAsync(session, latest.Select(m => m.ProfileId), token);
        var stored = await StoredVersionsAsync(session, [.. latest.Select(m => m.ProfileId)], token);
        var fresh = latest.Where(m => stored[m.ProfileId] < m.Version).ToList();
        if (fresh.Count < batch.Count)
        {
            CdpMetrics.DuplicatesSkipped.Add(batch.Count - fresh.Count, new KeyValuePair<string, object?>("consumer", "ProfileChangedConsumer"));
        }
        if (fresh.Count == 0) return;

        var audiences = await session.Query<Audience>().ToListAsync(token);
        var memberships = (await session.LoadManyAsync<ProfileMemberships>(token, fresh.Select(m => m.ProfileId))).ToDictionary(m => m.Id);
        var now = clock.GetUtcNow();
        var appends = new List<StreamAppend<ProfileMemberships>>();
        foreach (var changed in fresh)
        {
            var state = new ProfileState(changed.ProfileId, changed.Version, changed.Snapshot, changed.MessageId, now, changed.MergedInto)
                .DueFor(audiences, now);
            session.Store(state);
            memberships.TryGetValue(changed.ProfileId, out var current);
            var events = MembershipDecision.Decide(state, current, audiences, now, MembershipReasons.ProfileChanged, changed.MessageId);
            if (Evolve(session, state.Id, current, events) is { } append) appends.Add(append);
        }
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
        var ids = await session.QueryAsync<string>(
            $"select id from {store.Options.DatabaseSchemaName}.mt_doc_profilestate where id > ?{dueFilter} order by id limit ?", token, arguments);
        if (ids.Count == 0) return null;
        await LockAsync(session, ids, token);
        var states = await session.LoadManyAsync<ProfileState>(token, ids);
        var memberships = (await session.LoadManyAsync<ProfileMemberships>(token, ids)).ToDictionary(m => m.Id);
        // Due times are for every audience, not only those this page evaluates.
        var all = await session.Query<Audience>().ToListAsync(token);
        var now = clock.GetUtcNow();
        var changes = 0;
        var appends = new List<StreamAppend<ProfileMemberships>>();
        foreach (var state in states)
        {
            memberships.TryGetValue(state.Id, out var current);
            var events = MembershipDecision.Decide(state, current, audiences, now, reason, null);
            changes += events.Count;
            if (Evolve(session, state.Id, current, events) is { } append) appends.Add(append);
            if (state.DueFor(all, now) is var due && due.DueAt != state.DueAt) session.Store(due);
        }
        inTransaction?.Invoke(session, ids[^1], ids.Count);
        session.AppendToStreams(appends, clock.GetUtcNow());
        await session.SaveChangesAsync(token);
        return (ids[^1], ids.Count, changes);
    }, ct).AsTask();

    /// The append of a profile's membership changes, with its memberships and its audiences' members changed as the inline
    /// projections would change them: the appends of a group go in one statement (ManyStreamAppend), which runs none.
    /// Marten's append took a call of its PL/pgSQL function per profile, about 6 % of PostgreSQL's statement time at
    /// 1,000 events/s, and a read of the memberships it had just been handed (docs/performance.md, twenty-first round).
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
    private async Task<Dictionary<string, long>> StoredVersionsAsync(IQuerySession session, IReadOnlyList<string> profileIds, CancellationToken ct)
    {
        var versions = await session.AdvancedSql.QueryAsync<long>(
            $"select coalesce((s.data->>'Version')::bigint, 0) from unnest(?) with ordinality as wanted(id, n) " +
            $"left join {store.Options.DatabaseSchemaName}.mt_doc_profilestate s on s.id = wanted.id order by wanted.n",
            ct, [profileIds.ToArray()]);
        return profileIds.Zip(versions).ToDictionary(p => p.First, p => p.Second);
    }

    /// Transaction-scoped advisory locks, taken in one order everywhere so two writers never deadlock.
    private static async Task LockAsync(IDocumentSession session, IEnumerable<string> profileIds, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        var ids = profileIds.Distinct().ToArray();
        await session.QueryAsync<long>(
            "select count(*) from (select pg_advisory_xact_lock(hashtextextended(id, 7219)) from (select unnest(?) as id order by 1) sorted) locked",
            ct, [ids]);
    }
}
