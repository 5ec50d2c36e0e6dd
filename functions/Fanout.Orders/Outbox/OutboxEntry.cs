using Fanout.Functions.Common.Publishing;

namespace Fanout.Orders.Outbox;

/// <summary>A fact the order service owes the topic: stored as item <c>OUTBOX#&lt;eventId&gt;</c> in the same
/// transaction as the change it reports, deleted once published.</summary>
/// <param name="Event">The exact envelope to publish, with its id, type and correlation id.</param>
/// <param name="OrderId">The order the fact is about.</param>
/// <param name="CreatedAt">When the entry was written (UTC).</param>
public sealed record OutboxEntry(OutgoingEvent Event, string OrderId, DateTimeOffset CreatedAt)
{
    public string EventId => Event.Id;
}

/// <summary>The outbox items of the order service's table.</summary>
public interface IOutbox
{
    /// <summary>The entry, read consistently; null when it was already published and deleted.</summary>
    Task<OutboxEntry?> GetAsync(string eventId, CancellationToken cancellationToken);

    /// <summary>Deletes a published entry; deleting one that is already gone is not an error.</summary>
    Task CompleteAsync(string eventId, CancellationToken cancellationToken);
}

/// <summary>Reads orders for the functions that publish what an order still owes (the outbox relay, the reconciler).</summary>
public interface IOrderReader
{
    /// <summary>The order, read consistently; null when there is none.</summary>
    Task<Core.OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken);
}
