using Cdp.ServiceDefaults.Persistence;
using Cdp.Testing;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cdp.ProfileProjection.Tests.Persistence;

public class RefusedValueTests
{
    private sealed record NoteTaken(string Text);

    [Fact]
    public async Task Given_a_value_PostgreSQL_refused_on_a_statements_first_prepared_run_when_the_statement_runs_again_on_that_connection_then_it_succeeds()
    {
        await using var environment = await IsolatedEnvironment.CreateAsync("refused");
        var builder = WebApplication.CreateBuilder();
        // One connection, so the second write gets the connection the first failed on, unless it was discarded; every
        // statement prepared on its first run, so the refused run is the one that prepared it (as Npgsql's fifth run is).
        builder.Configuration["ConnectionStrings:Postgres"] =
            new NpgsqlConnectionStringBuilder(environment.Postgres) { MaxPoolSize = 1, AutoPrepareMinUsages = 1 }.ConnectionString;
        builder.Configuration["Cdp:Persistence:DaemonMode"] = "Disabled";
        builder.AddCdpMarten("refused", _ => { });
        await using var app = builder.Build();
        var store = app.Services.GetRequiredService<IDocumentStore>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using (var session = store.LightweightSession())
        {
            // U+0000 is valid JSON that jsonb refuses (22P05) while binding the parameter.
            session.Events.Append("refused-stream", new NoteTaken("a\u0000b"));
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => session.SaveChangesAsync());
            Assert.Contains("22P05", refused.ToString());
        }

        await using (var session = store.LightweightSession())
        {
            session.Events.Append("accepted-stream", new NoteTaken("ab"));
            await session.SaveChangesAsync();
        }

        await using var query = store.QuerySession();
        Assert.Equal("ab", Assert.IsType<NoteTaken>(Assert.Single(await query.Events.FetchStreamAsync("accepted-stream")).Data).Text);
        Assert.Empty(await query.Events.FetchStreamAsync("refused-stream"));
    }
}
