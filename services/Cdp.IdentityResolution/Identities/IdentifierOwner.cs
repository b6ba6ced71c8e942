namespace Cdp.IdentityResolution.Identities;

/// Which profile holds an identifier. The document id is "type:value", so the primary key is the
/// unique index on (type, value): two events racing to claim one identifier cannot both win.
public sealed record IdentifierOwner(string Id, string ProfileId)
{
    public static string KeyOf(string type, string value) => $"{type}:{value}";
}
