using Cdp.Contracts.Identity;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume a batch of resolved events, append them to their profiles' streams with the
/// processed-message markers in one transaction (ProfileRecording); ProfilePublisher publishes.
public sealed class EventResolvedConsumer(ProfileRecording recording) : IConsumer<Batch<EventResolved>>
{
    public Task Consume(ConsumeContext<Batch<EventResolved>> context) =>
        recording.RecordAsync(
            [.. context.Message.Select(m => new ProfileRecording.Resolved(m.Message, m.Headers.Get<string>("MT-Activity-Id")))],
            context.CancellationToken);
}
