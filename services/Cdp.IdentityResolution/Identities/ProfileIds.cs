namespace Cdp.IdentityResolution.Identities;

public static class ProfileIds
{
    // UUIDv7 text sorts by creation time, so "merge into the oldest" is an ordinal comparison.
    public static string New() => "p" + Guid.CreateVersion7().ToString("N");
}
