using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;

namespace Cdp.Ops;

/// A long operation a service runs in the background (a rebuild, a re-resolution), followed by polling its status.
public static class AdminJob
{
    /// Polls <paramref name="path"/> until the job completes or fails, reporting each status; a status back at idle
    /// means the service restarted and the job was lost.
    public static async Task<JsonElement> FollowAsync(HttpClient client, string path, string service, Action<JsonElement> report, CancellationToken ct)
    {
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonElement>(path, ct);
            report(status);
            switch (status.GetProperty("state").GetString())
            {
                case "completed" or "failed":
                    return status;
                case "idle":
                    throw new InvalidOperationException($"{service} restarted during the run, which was lost; run it again.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    /// The progress display every long command uses: what, bar, percentage, time left.
    public static Progress Progress() => AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn());
}
