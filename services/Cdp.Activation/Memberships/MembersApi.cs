using System.Text;
using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Profiles;
using Cdp.ServiceDefaults.Security;
using Marten;

namespace Cdp.Activation.Memberships;

/// Who is in an audience (size, pages, CSV), and which audiences a profile is in, with its history.
public static class MembersApi
{
    private const int MaxPage = 1000;

    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audiences/{key}/members", async (string key, int? limit, string? after, IQuerySession session, CancellationToken ct) =>
        {
            if (await session.LoadAsync<Audience>(Audience.StreamId(key), ct) is not { Deleted: false }) return AudienceApi.NotFound(key);
            if (limit is < 1 or > MaxPage)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: $"limit must be from 1 to {MaxPage}.");
            }
            var take = limit ?? 100;
            var query = session.Query<AudienceMember>().Where(m => m.AudienceKey == key);
            if (after is not null) query = query.Where(m => m.ProfileId.CompareTo(after) > 0);
            var page = await query.OrderBy(m => m.ProfileId).Take(take + 1).ToListAsync(ct);
            var size = await session.Query<AudienceMember>().CountAsync(m => m.AudienceKey == key, ct);
            return Results.Ok(new
            {
                audienceKey = key,
                size,
                members = page.Take(take).Select(m => new { profileId = m.ProfileId, since = m.Since, profileVersion = m.ProfileVersion }),
                next = page.Count > take ? page[take - 1].ProfileId : null,
            });
        }).RequireToken(TokenAuthorization.ReadToken);

        app.MapGet("/v1/audiences/{key}/members.csv", async (string key, HttpContext http, IQuerySession session, CancellationToken ct) =>
        {
            if (await session.LoadAsync<Audience>(Audience.StreamId(key), ct) is not { Deleted: false })
            {
                await AudienceApi.NotFound(key).ExecuteAsync(http);
                return;
            }
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{key}-members.csv\"";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
            await writer.WriteLineAsync("profile_id,since,user_id,email");
            string? after = null;
            while (true)
            {
                // Page through members so an audience of any size streams in constant memory.
                var query = session.Query<AudienceMember>().Where(m => m.AudienceKey == key);
                if (after is not null) query = query.Where(m => m.ProfileId.CompareTo(after) > 0);
                var page = await query.OrderBy(m => m.ProfileId).Take(MaxPage).ToListAsync(ct);
                if (page.Count == 0) break;
                var states = (await session.LoadManyAsync<ProfileState>(ct, page.Select(m => m.ProfileId))).ToDictionary(s => s.Id);
                foreach (var m in page)
                {
                    states.TryGetValue(m.ProfileId, out var state);
                    await writer.WriteLineAsync(string.Join(',', Csv(m.ProfileId), Csv(m.Since.ToString("O")),
                        Csv(First(state, "user_id")), Csv(First(state, "email"))));
                }
                after = page[^1].ProfileId;
            }
        }).RequireToken(TokenAuthorization.ReadToken);

        app.MapGet("/v1/activation/profiles/{id}/memberships", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var current = await session.LoadAsync<ProfileMemberships>(id, ct);
            var history = await session.Events.FetchStreamAsync(id, token: ct);
            if (current is null && history.Count == 0)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                    detail: $"Profile '{id}' has never been in an audience.");
            }
            return Results.Ok(new
            {
                profileId = id,
                audiences = (current?.Audiences ?? []).OrderBy(a => a.Key)
                    .Select(a => new { audienceKey = a.Key, since = a.Value.Since, audienceVersion = a.Value.AudienceVersion }),
                history = history.Select(e => e.Data switch
                {
                    AudienceEntered x => new { audienceKey = x.AudienceKey, change = "entered", reason = x.Reason, at = x.At, profileVersion = x.ProfileVersion, causedBy = x.CausedBy },
                    AudienceExited x => new { audienceKey = x.AudienceKey, change = "exited", reason = x.Reason, at = x.At, profileVersion = x.ProfileVersion, causedBy = x.CausedBy },
                    _ => null,
                }).Where(h => h is not null).Reverse(),
            });
        }).RequireToken(TokenAuthorization.ReadToken);

        return app;
    }

    private static string? First(ProfileState? state, string type) =>
        state?.Snapshot.Identifiers.TryGetValue(type, out var values) == true && values.Count > 0 ? values[0] : null;

    /// RFC 4180 quoting, and a leading quote for values a spreadsheet would run as a formula.
    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
