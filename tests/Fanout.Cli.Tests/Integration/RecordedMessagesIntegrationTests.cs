using Amazon.DynamoDBv2.Model;
using Fanout.Cli.Messages;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Tests.Integration;

/// <summary><c>fanout messages</c>' reader against DynamoDB Local's provisioned sms and email tables: it finds the
/// order's messages (across scan pages) and nothing of another order's or the tables' other records.</summary>
[Trait("Category", "Integration")]
public sealed class RecordedMessagesIntegrationTests(LocalFanoutFixture fixture) : IClassFixture<LocalFanoutFixture>
{
    private async Task PutAsync(TableSpec table, params (string Name, string Value)[] fields)
    {
        await fixture.Fanout.Dynamo.PutItemAsync(
            new PutItemRequest
            {
                TableName = fixture.Fanout.Topology.TableFor(table),
                Item = fields.ToDictionary(f => f.Name, f => new AttributeValue { S = f.Value }),
            },
            TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ReadAsync_RealTables_ListsOnlyThatOrdersMessages()
    {
        var orderId = Guid.NewGuid().ToString();
        var other = Guid.NewGuid().ToString();
        await PutAsync(FanoutTopology.SmsTable, ("pk", $"SMS#{orderId}#ORDER_RECEIVED"), ("orderId", orderId), ("channel", "sms"), ("notification", "ORDER_RECEIVED"), ("sentAt", "2026-11-29T10:00:01.0000000+00:00"), ("text", "Got it"));
        await PutAsync(FanoutTopology.SmsTable, ("pk", $"SMS#{orderId}#ORDER_CANCELLED"), ("orderId", orderId), ("channel", "sms"), ("notification", "ORDER_CANCELLED"), ("sentAt", "2026-11-29T10:00:03.0000000+00:00"), ("text", "Cancelled"));
        await PutAsync(FanoutTopology.SmsTable, ("pk", $"SMS#{other}#ORDER_RECEIVED"), ("orderId", other), ("channel", "sms"), ("notification", "ORDER_RECEIVED"), ("sentAt", "2026-11-29T10:00:02.0000000+00:00"), ("text", "Not this one"));
        await PutAsync(FanoutTopology.EmailTable, ("pk", "EVENT#" + Guid.NewGuid()), ("orderId", orderId), ("status", "COMPLETED"));
        await PutAsync(FanoutTopology.EmailTable, ("pk", $"EMAIL#{orderId}#ORDER_RECEIVED"), ("orderId", orderId), ("channel", "email"), ("notification", "ORDER_RECEIVED"), ("sentAt", "2026-11-29T10:00:02.0000000+00:00"), ("text", "Dear customer"));
        var tables = new[]
        {
            new MessageTable("sms", fixture.Fanout.Topology.TableFor(FanoutTopology.SmsTable)),
            new MessageTable("email", fixture.Fanout.Topology.TableFor(FanoutTopology.EmailTable)),
        };

        var messages = await new SentMessagesReader(new DynamoRecordedItems(fixture.Fanout.Dynamo)).ReadAsync(tables, orderId, TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                new SentMessage("sms", "ORDER_RECEIVED", new DateTimeOffset(2026, 11, 29, 10, 0, 1, TimeSpan.Zero), "Got it"),
                new SentMessage("email", "ORDER_RECEIVED", new DateTimeOffset(2026, 11, 29, 10, 0, 2, TimeSpan.Zero), "Dear customer"),
                new SentMessage("sms", "ORDER_CANCELLED", new DateTimeOffset(2026, 11, 29, 10, 0, 3, TimeSpan.Zero), "Cancelled"),
            ],
            messages);
    }
}
