namespace Cdp.Contracts;

/// <summary>Who collected the data: the business itself, a partner, or a vendor.</summary>
public static class DataParties
{
    /// <summary>Data the business collected from its own customers.</summary>
    public const string First = "first";
    /// <summary>Another business's first-party data, shared with us.</summary>
    public const string Second = "second";
    /// <summary>Data bought from or enriched by a vendor.</summary>
    public const string Third = "third";

    /// <summary>Whether <paramref name="value"/> names one of the three parties.</summary>
    public static bool IsValid(string? value) => value is First or Second or Third;
}
