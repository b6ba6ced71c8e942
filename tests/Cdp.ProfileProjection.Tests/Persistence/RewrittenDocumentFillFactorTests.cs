using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Tests.Profiles;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cdp.ProfileProjection.Tests.Persistence;

public class RewrittenDocumentFillFactorTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    [Fact]
    public async Task Given_the_service_started_when_a_full_page_of_profiles_is_rewritten_then_each_new_version_stays_on_its_page()
    {
        var store = fixture.Factory.Services.GetRequiredService<IDocumentStore>();
        var table = store.Options.FindOrResolveDocumentType(typeof(CustomerProfile)).TableName.QualifiedName;
        await using var source = NpgsqlDataSource.Create(fixture.Environment.Postgres);
        await using (var options = source.CreateCommand($"select reloptions from pg_class where oid = '{table}'::regclass"))
        {
            Assert.Contains("fillfactor=70", (string[])(await options.ExecuteScalarAsync())!);
        }

        // Enough profiles of about the benchmark's size (900 bytes) to fill several pages.
        var ids = Enumerable.Range(0, 40).Select(_ => "p" + Guid.NewGuid().ToString("N")).ToList();
        var padding = new string('x', 800);
        await using (var session = store.LightweightSession())
        {
            session.Store(ids.Select(id => new CustomerProfile { Id = id, RetiredBy = padding }).ToArray());
            await session.SaveChangesAsync();
        }
        var before = await PagesAsync(source, table, ids);
        // One profile on each full page (the last may have room anyway), rewritten: it fits beside its old version only if
        // the page kept room. One a page, so nothing depends on pruning, which an old snapshot elsewhere can hold back.
        var perPage = before.GroupBy(p => p.Value).ToList();
        var rewritten = perPage.Where(g => g.Count() == perPage.Max(p => p.Count())).Select(g => g.First().Key).ToList();
        foreach (var id in rewritten)
        {
            await using var session = store.LightweightSession();
            var profile = (await session.LoadAsync<CustomerProfile>(id))!;
            profile.RetiredBy = padding.Replace('x', 'y');
            session.Store(profile);
            await session.SaveChangesAsync();
        }
        var after = await PagesAsync(source, table, rewritten);
        Assert.True(rewritten.Count > 1, "the profiles fill more than one page");
        Assert.Equal(rewritten.ToDictionary(id => id, id => before[id]), after);
    }

    private static async Task<Dictionary<string, long>> PagesAsync(NpgsqlDataSource source, string table, List<string> ids)
    {
        await using var command = source.CreateCommand($"select id, (ctid::text::point)[0]::bigint from {table} where id = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        var pages = new Dictionary<string, long>();
        while (await reader.ReadAsync()) pages[reader.GetString(0)] = reader.GetInt64(1);
        return pages;
    }
}
