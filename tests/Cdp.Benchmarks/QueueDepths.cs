using Cdp.Testing;

namespace Cdp.Benchmarks;

/// The queues holding messages right now, for progress lines: where the pipeline is backing up.
public sealed class QueueDepths(IsolatedEnvironment environment) : IDisposable
{
    private DateTime _last = DateTime.MinValue;
    private string _text = "";

    public async Task<string> DescribeAsync()
    {
        if (DateTime.UtcNow - _last < TimeSpan.FromSeconds(1)) return _text;
        _last = DateTime.UtcNow;
        try
        {
            var busy = (await environment.QueueDepthsAsync()).Where(q => q.Value > 0).OrderByDescending(q => q.Value).Take(4);
            _text = string.Join(", ", busy.Select(q => $"{q.Key} {q.Value:N0}"));
        }
        catch (HttpRequestException)
        {
            _text = "queue depths unavailable";
        }
        return Spectre.Console.Markup.Escape(_text);
    }

    public void Dispose()
    {
    }
}
