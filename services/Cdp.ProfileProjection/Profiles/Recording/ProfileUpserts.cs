using Marten;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Writes a recording group's profiles to Marten's document table in one statement, in the session's transaction: Marten
/// upserts a document a statement at a time (37,896 of them took 3.9 s of PostgreSQL's 29.7 in 40 s at 1,000 events/s,
/// docs/performance.md, fifteenth round). It writes the columns Marten's upsert writes, with the revision given (the
/// stream's version); the group's append statement has already made any concurrent writer of these streams lose.
public static class ProfileUpserts
{
    public static void UpsertProfiles(this IDocumentSession session, IReadOnlyList<CustomerProfile> profiles)
    {
        if (profiles.Count == 0) return;
        var options = session.DocumentStore.Options;
        var document = options.FindOrResolveDocumentType(typeof(CustomerProfile));
        // The identifier keys are the one field duplicated into a column (ProfileRegistration); another would be left empty here.
        if (document.DuplicatedFields.Select(f => f.ColumnName).SingleOrDefault() != "identifier_keys")
        {
            throw new InvalidOperationException($"{nameof(ProfileUpserts)} writes identifier_keys as the profile's only duplicated column; " +
                $"the mapping has {string.Join(", ", document.DuplicatedFields.Select(f => f.ColumnName))}. Write the others here too.");
        }
        var serializer = options.Serializer();
        session.QueueSqlCommand($"""
            insert into {document.TableName.QualifiedName} (id, data, mt_version, mt_dotnet_type, mt_last_modified, identifier_keys)
            select p.id, p.data, p.version, ?, transaction_timestamp(), array(select jsonb_array_elements_text(p.data -> 'IdentifierKeys'))
            from unnest(?::varchar[], ?::jsonb[], ?::bigint[]) as p(id, data, version)
            on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version,
                mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified, identifier_keys = excluded.identifier_keys
            """,
            typeof(CustomerProfile).FullName!, profiles.Select(p => p.Id).ToArray(), profiles.Select(serializer.ToJson).ToArray(),
            profiles.Select(p => p.Version).ToArray());
    }
}
