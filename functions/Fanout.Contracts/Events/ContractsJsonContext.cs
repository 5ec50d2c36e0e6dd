using System.Text.Json.Serialization;

namespace Fanout.Contracts.Events;

/// <summary>Source-generated JSON for every event shape (AOT-safe, no reflection).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(RawCloudEvent))]
[JsonSerializable(typeof(CloudEvent<OrderPlaced>))]
[JsonSerializable(typeof(CloudEvent<SmsSent>))]
[JsonSerializable(typeof(CloudEvent<EmailSent>))]
[JsonSerializable(typeof(CloudEvent<InventoryReserved>))]
[JsonSerializable(typeof(CloudEvent<InventoryRejected>))]
[JsonSerializable(typeof(CloudEvent<OrderCancelled>))]
[JsonSerializable(typeof(CloudEvent<InventoryReleased>))]
[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(SmsSent))]
[JsonSerializable(typeof(EmailSent))]
[JsonSerializable(typeof(InventoryReserved))]
[JsonSerializable(typeof(InventoryRejected))]
[JsonSerializable(typeof(OrderCancelled))]
[JsonSerializable(typeof(InventoryReleased))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
