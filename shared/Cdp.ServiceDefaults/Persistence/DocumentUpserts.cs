using Marten;
using Marten.Schema;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// Stores many documents of one type in one statement, in the session's transaction. Marten's own upsert is a statement
/// per document; these write the columns it writes (id, data, version, .NET type, last modified, and the duplicated
/// fields, computed from the document as Marten's patches compute them). At 1,000 events/s the recording's groups took
/// 11-13 ms at p50 with one statement against 15 ms with a statement a profile; alone, 12,000 upserts of 1.9 KB took
/// 1,361-1,606 ms in groups of 30 against 1,749-2,023 ms one by one (docs/performance.md, twenty-second round).
/// </summary>
/// <remarks>The ids must be distinct: one statement cannot change a row twice.</remarks>
public static class DocumentUpserts
{
    /// <summary>
    /// Queues the upsert of documents whose version is a number their writer decides (an aggregate at its stream's
    /// version, Marten's numeric revisions). None is put back at an older version than the one stored; unlike Marten's
    /// UpdateRevision this raises no concurrency error, the check being the events' key in the same transaction
    /// (ManyStreamAppend).
    /// </summary>
    public static void StoreAtRevisions<T>(this IDocumentSession session, string[] ids, T[] documents, long[] revisions) where T : notnull
    {
        // unnest pads a shorter array with nulls, which would fail at commit as a not-null violation naming neither.
        if (documents.Length != ids.Length || revisions.Length != ids.Length)
        {
            throw new ArgumentException($"StoreAtRevisions needs as many documents and revisions as ids: {ids.Length} ids, " +
                $"{documents.Length} documents, {revisions.Length} revisions.");
        }
        if (ids.Length == 0) return;
        Upsert(session, ids, documents, revisions, numericRevisions: true);
    }

    /// <summary>Queues the upsert of documents as Marten's <c>Store</c> writes them: each with a new version, the last write wins.</summary>
    public static void StoreAll<T>(this IDocumentSession session, IReadOnlyList<T> documents, Func<T, string> idOf) where T : notnull
    {
        if (documents.Count == 0) return;
        Upsert(session, [.. documents.Select(idOf)], [.. documents], documents.Select(_ => Guid.CreateVersion7()).ToArray(), numericRevisions: false);
    }

    private static void Upsert<T>(IDocumentSession session, string[] ids, T[] documents, Array versions, bool numericRevisions)
        where T : notnull
    {
        var options = session.DocumentStore.Options;
        var document = options.FindOrResolveDocumentType(typeof(T));
        // The version column is a number for numeric revisions and a uuid otherwise: the wrong call would fail in PostgreSQL
        // with a type error that names neither.
        if (document is DocumentMapping { UseNumericRevisions: var numeric } && numeric != numericRevisions)
        {
            throw new InvalidOperationException(numeric
                ? $"{typeof(T).Name} is stored with numeric revisions: store it with StoreAtRevisions, not StoreAll."
                : $"{typeof(T).Name} has no numeric revisions: store it with StoreAll, not StoreAtRevisions.");
        }
        var versionType = numericRevisions ? "bigint" : "uuid";
        var serializer = options.Serializer();
        // Marten's fragment is "column" = expression over the document's data column, which the unnest below names data.
        var duplicated = document.DuplicatedFields.Select(f => f.UpdateSqlFragment().Split(" = ", 2))
            .Select(parts => (Column: parts[0], Expression: parts[1])).ToList();
        session.QueueSqlCommand($"""
            insert into {document.TableName.QualifiedName} as d (id, data, mt_version, mt_dotnet_type, mt_last_modified{string.Concat(duplicated.Select(f => ", " + f.Column))})
            select id, data, version, ?, transaction_timestamp(){string.Concat(duplicated.Select(f => ", " + f.Expression))}
            from unnest(?::varchar[], ?::jsonb[], ?::{versionType}[]) as a(id, data, version)
            on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version, mt_dotnet_type = excluded.mt_dotnet_type,
                mt_last_modified = excluded.mt_last_modified{string.Concat(duplicated.Select(f => $", {f.Column} = excluded.{f.Column}"))}
            {(numericRevisions ? "where d.mt_version <= excluded.mt_version" : "")}
            """,
            typeof(T).FullName!, ids, documents.Select(d => serializer.ToJson(d)).ToArray(), versions);
    }
}
