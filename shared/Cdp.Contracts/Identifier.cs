namespace Cdp.Contracts;

/// <summary>One identifier of a person, such as <c>email</c> / <c>ann@example.com</c>.</summary>
/// <param name="Type">The identifier type: <c>user_id</c>, <c>anonymous_id</c>, <c>email</c>, <c>phone</c>, <c>device_id</c> or an external id type.</param>
/// <param name="Value">The normalised value.</param>
public sealed record Identifier(string Type, string Value)
{
    /// <summary>The <c>type:value</c> form used in URLs and indexes.</summary>
    public override string ToString() => $"{Type}:{Value}";
}
