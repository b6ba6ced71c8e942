using System.Text.Json;

namespace Cdp.Benchmarks.Pipeline;

/// The share of each kind of traffic in a run, in percent of events; the rest is page views.
public sealed record WorkloadMix(int LoginPercent, int PurchasePercent, int CrmPercent, int EnrichmentPercent,
    int SecondDevicePercent, double HostilePercent)
{
    public static readonly WorkloadMix Default = new(LoginPercent: 10, PurchasePercent: 15, CrmPercent: 10, EnrichmentPercent: 5,
        SecondDevicePercent: 20, HostilePercent: 0.5);
}

/// One Tracking API call the harness sends: which source sends it, the event's JSON, and whether the Collector must
/// refuse it (a hostile input that breaks Segment's rules goes alone in a /v1/track request, expecting a 400 or 413).
public sealed record WorkloadEvent(string Source, string MessageId, string Json, bool MustBeRefused);

/// A seeded, reproducible population of customers and their traffic, shaped like a real CDP's:
/// anonymous browsing that later logs in (the anonymous id linked to the user id), a second device browsing
/// anonymously before its own login (which merges its profile into the customer's), purchases with revenue,
/// CRM updates keyed by user id and email (plan changes: audience entries and exits), third-party enrichment keyed
/// by email alone, and a few hostile inputs (blocked identifier values, a kiosk's anonymous id shared by many
/// customers, calls Segment's rules refuse). The same seed gives the same traffic.
public sealed class Workload(int customers, int seed, string run, WorkloadMix mix)
{
    public const string FirstParty = "web";
    public const string Crm = "crm";
    public const string Vendor = "vendor";

    private readonly Random _random = new(seed);
    private readonly Customer[] _customers = Enumerable.Range(0, customers).Select(_ => new Customer()).ToArray();
    private long _sequence;

    private sealed class Customer
    {
        public bool LoggedIn;
        public bool SecondDevice;
        public bool SecondDeviceLoggedIn;
        public bool Pro;
    }

    /// What the run sent, by kind, for the result.
    public Dictionary<string, long> Sent { get; } = [];

    public WorkloadEvent Next()
    {
        var id = $"{run}-{_sequence++}";
        var c = _random.Next(customers);
        var customer = _customers[c];
        var user = $"u-{run}-{c}";
        var email = $"{run}-{c}@example.com";
        var roll = _random.NextDouble() * 100;

        if (roll < mix.HostilePercent) return Hostile(id, c);
        roll = _random.NextDouble() * 100;
        if (!customer.LoggedIn)
        {
            // Before the first login a customer only browses anonymously, and then logs in.
            if (roll < mix.LoginPercent * 3)
            {
                customer.LoggedIn = true;
                return Event("login", FirstParty, id, new
                {
                    type = "identify", messageId = id, userId = user, anonymousId = $"a-{run}-{c}",
                    traits = new { email, name = $"Customer {c}" },
                });
            }
            return Page(id, anonymousId: $"a-{run}-{c}", userId: null);
        }
        if (customer.SecondDevice && !customer.SecondDeviceLoggedIn && roll < mix.LoginPercent)
        {
            // The second device's anonymous profile now meets the customer's: identity merges the two.
            customer.SecondDeviceLoggedIn = true;
            return Event("login on a second device (merge)", FirstParty, id, new
            {
                type = "identify", messageId = id, userId = user, anonymousId = $"b-{run}-{c}", traits = new { email },
            });
        }
        if ((roll -= mix.LoginPercent) < mix.PurchasePercent)
        {
            return Event("purchase", FirstParty, id, new
            {
                type = "track", messageId = id, userId = user, @event = "Order Completed",
                properties = new { orderId = id, revenue = Math.Round(5 + _random.NextDouble() * 195, 2), currency = "USD" },
            });
        }
        if ((roll -= mix.PurchasePercent) < mix.CrmPercent)
        {
            customer.Pro = !customer.Pro;
            return Event("CRM update", Crm, id, new
            {
                type = "identify", messageId = id, userId = user,
                traits = new { email, plan = customer.Pro ? "pro" : "free", account_manager = $"am-{c % 17}" },
            });
        }
        if ((roll -= mix.CrmPercent) < mix.EnrichmentPercent)
        {
            // A vendor knows only the email: its anonymous id stands for "this vendor's record of that email".
            return Event("enrichment", Vendor, id, new
            {
                type = "identify", messageId = id, anonymousId = $"vendor:{email}",
                traits = new { email, company = $"Company {c % 500}", employees = 10 + c % 990, industry = (c % 7).ToString() },
            });
        }
        if ((roll -= mix.EnrichmentPercent) < mix.SecondDevicePercent && !customer.SecondDevice)
        {
            customer.SecondDevice = true;
        }
        return customer.SecondDevice && !customer.SecondDeviceLoggedIn && _random.Next(2) == 0
            ? Page(id, anonymousId: $"b-{run}-{c}", userId: null)
            : Page(id, anonymousId: $"a-{run}-{c}", userId: user);
    }

    private WorkloadEvent Page(string id, string anonymousId, string? userId) =>
        Event(userId is null ? "anonymous page view" : "page view", FirstParty, id, new
        {
            type = "page", messageId = id, anonymousId, userId, name = "Product",
            properties = new { path = $"/products/{_random.Next(1000)}", title = "Product" },
        });

    private WorkloadEvent Hostile(string id, int c)
    {
        switch (_random.Next(4))
        {
            case 0:
                // A blocked user id: identity drops it and resolves by the anonymous id.
                return Event("hostile: blocked user id", FirstParty, id, new { type = "track", messageId = id, userId = "undefined", anonymousId = $"a-{run}-{c}", @event = "Clicked" });
            case 1:
                // A kiosk: one anonymous id for many customers, which the anonymous_id limit keeps from gluing them together.
                return Event("hostile: shared kiosk id", FirstParty, id, new { type = "track", messageId = id, userId = $"u-{run}-{c}", anonymousId = $"kiosk-{run}", @event = "Kiosk Used" });
            case 2:
                return Refused("hostile: no user or anonymous id (400)", id, new { type = "track", messageId = id, @event = "Lost" });
            default:
                return Refused("hostile: event over 32 KB (413)", id,
                    new { type = "track", messageId = id, userId = $"u-{run}-{c}", @event = "Huge", properties = new { blob = new string('x', 33_000) } });
        }
    }

    private WorkloadEvent Event(string kind, string source, string id, object body)
    {
        Sent[kind] = Sent.GetValueOrDefault(kind) + 1;
        return new WorkloadEvent(source, id, JsonSerializer.Serialize(body, JsonOptions), MustBeRefused: false);
    }

    private WorkloadEvent Refused(string kind, string id, object body)
    {
        Sent[kind] = Sent.GetValueOrDefault(kind) + 1;
        return new WorkloadEvent(FirstParty, id, JsonSerializer.Serialize(body, JsonOptions), MustBeRefused: true);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
