namespace Cdp.IdentityResolution.Identities.ReResolving;

/// What the identity graph would look like under other rules, against what it is: the answer of a dry run.
/// <param name="Events">Ingest-log events resolved again.</param>
/// <param name="ProfilesBefore">Profiles holding at least one event today (merged ones counted once, as their survivor).</param>
/// <param name="ProfilesAfter">Profiles the events would be on under the new rules.</param>
/// <param name="Splits">Profiles today whose events the new rules put on more than one profile: merges that would be undone.</param>
/// <param name="Joins">Profiles under the new rules that hold the events of more than one profile today: merges that would appear.</param>
/// <param name="EventsMoved">Events that would leave the profile holding most of their profile's events.</param>
/// <param name="Sample">Some of the affected profiles, with their identifiers before and after.</param>
public sealed record ReResolutionDiff(long Events, int ProfilesBefore, int ProfilesAfter, int UnresolvableBefore, int UnresolvableAfter,
    int Splits, int Joins, long EventsMoved, IReadOnlyList<AffectedProfile> Sample, double Seconds);

/// <param name="Change">split (one profile becomes several) or join (several become one).</param>
/// <param name="Before">Today's profiles involved, with their identifiers.</param>
/// <param name="After">The profiles the new rules make of their events, with identifiers and event counts.</param>
public sealed record AffectedProfile(string Change, IReadOnlyList<ProfilePart> Before, IReadOnlyList<ProfilePart> After);

public sealed record ProfilePart(string ProfileId, long Events, IReadOnlyList<string> Identifiers);

/// What applying rules did: the run that did it, profiles superseded and created, events re-attributed, and the difference.
public sealed record ReResolutionApplied(string RunId, int ProfilesSuperseded, int ProfilesCreated, long EventsReattributed, ReResolutionDiff Difference);
