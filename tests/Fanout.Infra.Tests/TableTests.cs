using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

[Trait("Category", "Infra")]
public sealed class TableTests
{
    [Theory]
    [MemberData(nameof(Paths.TableIds), MemberType = typeof(Paths))]
    public void Table_Synth_IsOnDemandRecoverableAndExpiresIdempotencyRecords(string tableId)
    {
        var table = FanoutTopology.Tables.Single(t => t.Id == tableId);
        var properties = SynthesizedStack.Default.AtPath(Paths.Table(table)).Resource.GetProperty("Properties");

        Assert.Equal("PAY_PER_REQUEST", properties.GetProperty("BillingMode").GetString());
        Assert.True(properties.GetProperty("PointInTimeRecoverySpecification").GetProperty("PointInTimeRecoveryEnabled").GetBoolean());
        Assert.Equal(FanoutTopology.TtlAttribute, properties.GetProperty("TimeToLiveSpecification").GetProperty("AttributeName").GetString());
        Assert.True(properties.GetProperty("TimeToLiveSpecification").GetProperty("Enabled").GetBoolean());
        var key = Assert.Single(properties.GetProperty("KeySchema").EnumerateArray());
        Assert.Equal(FanoutTopology.PartitionKey, key.GetProperty("AttributeName").GetString());
        // CloudFormation names the table; the local name is for emulators only.
        Assert.False(properties.TryGetProperty("TableName", out _));
    }

    [Theory]
    [MemberData(nameof(Paths.TableIds), MemberType = typeof(Paths))]
    public void Table_DefaultContext_IsRetainedAndProtectedFromDeletion(string tableId)
    {
        var table = SynthesizedStack.Default.AtPath(Paths.Table(FanoutTopology.Tables.Single(t => t.Id == tableId))).Resource;

        Assert.Equal("Retain", table.GetProperty("DeletionPolicy").GetString());
        Assert.Equal("Retain", table.GetProperty("UpdateReplacePolicy").GetString());
        Assert.True(table.GetProperty("Properties").GetProperty("DeletionProtectionEnabled").GetBoolean());
    }

    [Fact]
    public void Table_DestroyTablesContext_IsDeletedWithTheStack()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.DestroyTables] = true });

        Assert.All(stack.Resources("AWS::DynamoDB::Table"), t =>
        {
            Assert.Equal("Delete", t.Resource.GetProperty("DeletionPolicy").GetString());
            Assert.False(t.Resource.GetProperty("Properties").GetProperty("DeletionProtectionEnabled").GetBoolean());
        });
    }
}
