namespace Cdp.Testing;

/// <summary>
/// Polls for an asynchronous outcome instead of sleeping a fixed time. The default deadline only tells a broken
/// pipeline from a slow one: it returns as soon as the outcome is there, and a fresh CI machine running six test
/// projects at once on two cores has taken over 20 s for a cold platform's first event.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <param name="onTimeout">What else to say when the wait times out, e.g. <see cref="Platform.DiagnosisAsync"/>.</param>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string? what = null,
        Func<Task<string>>? onTimeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw await TimedOutAsync(what ?? "a result", onTimeout);
            await Task.Delay(50);
        }
    }

    /// <param name="onTimeout">What else to say when the wait times out, e.g. <see cref="Platform.DiagnosisAsync"/>.</param>
    public static async Task TrueAsync(Func<Task<bool>> probe, TimeSpan? timeout = null, string? what = null, Func<Task<string>>? onTimeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline) throw await TimedOutAsync(what ?? "a condition", onTimeout);
            await Task.Delay(50);
        }
    }

    private static async Task<TimeoutException> TimedOutAsync(string what, Func<Task<string>>? onTimeout) =>
        new($"Timed out waiting for {what}." + (onTimeout is null ? "" : Environment.NewLine + await onTimeout()));
}
