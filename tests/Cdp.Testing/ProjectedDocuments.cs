using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Xunit;

namespace Cdp.Testing;

/// <summary>
/// A projected document as a writer stored it beside its stream, against what Marten's projection folds from that stream:
/// the writers that append in one statement of their own (ManyStreamAppend) evolve and store these documents themselves.
/// </summary>
public static class ProjectedDocuments
{
    /// <summary>
    /// Asserts that the stored document equals the stream folded by Marten's projection, in any key order (a stored
    /// document comes back in jsonb's), and returns the fold with the document's revision and its stream's version.
    /// </summary>
    public static async Task<(T Folded, long Revision, long StreamVersion)> AssertStoredIsFoldedAsync<T>(IQuerySession session, string id)
        where T : class
    {
        var folded = await session.Events.AggregateStreamAsync<T>(id);
        var stored = await session.LoadAsync<T>(id);
        Assert.True(JsonNode.DeepEquals(JsonSerializer.SerializeToNode(folded), JsonSerializer.SerializeToNode(stored)),
            $"stored {JsonSerializer.Serialize(stored)}, folded {JsonSerializer.Serialize(folded)}");

        var options = session.DocumentStore.Options;
        var versions = await session.AdvancedSql.QueryAsync<long>($"""
            select d.mt_version from {options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName} d where d.id = ?
            union all select s.version from {options.Events.DatabaseSchemaName}.mt_streams s where s.id = ?
            """, default, id, id);
        Assert.Equal(2, versions.Count);
        return (folded!, versions[0], versions[1]);
    }
}
