using Amazon.DynamoDBv2.Model;
using CsCheck;
using Fanout.Harness.Metering;

namespace Fanout.UnitTests.Harness.Metering;

/// <summary>The capacity arithmetic against the worked examples of AWS's developer guide ("DynamoDB item sizes and
/// formats", "DynamoDB read and write operations") and the issue's own transaction, plus properties.</summary>
public sealed class DynamoDbCapacityRulesTests
{
    private static AttributeValue S(string s) => new() { S = s };

    [Fact]
    public void ItemSize_StringNumberBoolNull_SumsNameAndValueBytes()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = S("SMS#1"),          // 2 + 5
            ["name"] = S("Zoë"),          // 4 + 4 (ë is two UTF-8 bytes)
            ["n"] = new() { N = "12345" }, // 1 + (3 + 1)
            ["ok"] = new() { BOOL = true }, // 2 + 1
            ["z"] = new() { NULL = true },  // 1 + 1
        };

        Assert.Equal(7 + 8 + 5 + 3 + 2, DynamoDbCapacityRules.ItemSize(item));
    }

    [Theory]
    [InlineData("0", 1)]
    [InlineData("7", 2)]
    [InlineData("12", 2)]
    [InlineData("123", 3)]
    [InlineData("-1200", 2)]
    [InlineData("0.000125", 3)]
    [InlineData("1.5E+10", 2)]
    [InlineData("1776466800000", 5)]
    public void NumberSize_SignificantDigits_OneBytePerTwoPlusOne(string number, long expected) =>
        Assert.Equal(expected, DynamoDbCapacityRules.NumberSize(number));

    [Fact]
    public void ItemSize_ListAndMap_ThreeBytesPlusOnePerElement()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            // "lines": 5 + 3 + [1 + (3 + 1 + 3 + 3 ("sku" + "AB") ... )]
            ["lines"] = new() { L = [new() { M = new() { ["sku"] = S("AB"), ["q"] = new() { N = "2" } } }] },
        };
        // map element: 3 + (1 + 3 + 2) + (1 + 1 + 2) = 13; list: 3 + (1 + 13) = 17; name 5.
        Assert.Equal(22, DynamoDbCapacityRules.ItemSize(item));
        Assert.Equal(3, DynamoDbCapacityRules.ValueSize(new AttributeValue { L = [] }));
    }

    [Fact]
    public void ItemSize_Sets_SumOfMembers()
    {
        var value = new AttributeValue { SS = ["ab", "cde"] };
        Assert.Equal(5, DynamoDbCapacityRules.ValueSize(value));
        Assert.Equal(4, DynamoDbCapacityRules.ValueSize(new AttributeValue { NS = ["12", "3"] }));
    }

    [Theory]
    [InlineData(500, 1)]
    [InlineData(1024, 1)]
    [InlineData(1025, 2)]
    [InlineData(3500, 4)]
    public void WriteUnits_StandardWrite_OnePerStartedKilobyte(long bytes, double expected) =>
        Assert.Equal(expected, DynamoDbCapacityRules.WriteUnits(bytes));

    [Fact]
    public void WriteUnits_IssueTransactionOfPointOneAndTwoPointFiveKilobytes_EightUnits()
    {
        // The issue's cross-check: DynamoDB Local reported 16; AWS's rules give 2 × 1 + 2 × 3.
        var units = DynamoDbCapacityRules.WriteUnits(100, transactional: true) + DynamoDbCapacityRules.WriteUnits(2560, transactional: true);
        Assert.Equal(8, units);
    }

    [Fact]
    public void PutOrUpdateUnits_ItemShrinks_LargerOfBeforeAndAfter() =>
        Assert.Equal(3, DynamoDbCapacityRules.PutOrUpdateUnits(oldBytes: 2500, newBytes: 100));

    [Fact]
    public void PutOrUpdateUnits_ConditionFailedOnAbsentItem_StillOneUnit() =>
        Assert.Equal(1, DynamoDbCapacityRules.PutOrUpdateUnits(oldBytes: 0, newBytes: 5000, conditionFailed: true));

    [Theory]
    [InlineData(3500, ReadKind.StronglyConsistent, 1)]      // guide: a 3.5 KB item rounds to 4 KB
    [InlineData(10240, ReadKind.StronglyConsistent, 3)]     // guide: a 10 KB item rounds to 12 KB
    [InlineData(8192, ReadKind.EventuallyConsistent, 1)]    // guide: 8 KB eventually consistent, 1 unit
    [InlineData(8192, ReadKind.Transactional, 4)]           // guide: 8 KB transactional, 4 units
    [InlineData(0, ReadKind.EventuallyConsistent, 0.5)]     // nothing found still costs the minimum
    public void ReadUnits_GuideExamples_PerStartedFourKilobytes(long bytes, ReadKind kind, double expected) =>
        Assert.Equal(expected, DynamoDbCapacityRules.ReadUnits(bytes, kind));

    [Fact]
    public void BatchReadUnits_GuideExample_EachItemRoundedAlone()
    {
        // Guide: BatchGetItem of 1.5 KB and 6.5 KB items is billed as 4 KB + 8 KB = 12 KB.
        Assert.Equal(3, DynamoDbCapacityRules.BatchReadUnits([1536, 6656], ReadKind.StronglyConsistent));
        // The same sizes in one query sum before rounding: 8 KB.
        Assert.Equal(2, DynamoDbCapacityRules.QueryUnits([1536, 6656], ReadKind.StronglyConsistent));
    }

    private static readonly IndexShape _openOrders = new("open-orders", ["openShard", "openSince"], ["pk"], "KEYS_ONLY", []);

    [Fact]
    public void IndexWriteUnits_EntryAddedChangedRemovedUntouched_PutDeleteBothOrNothing()
    {
        var open = new Dictionary<string, AttributeValue> { ["pk"] = S("ORDER#1"), ["openShard"] = new() { N = "3" }, ["openSince"] = S("2026"), ["status"] = S("PENDING") };
        var moved = new Dictionary<string, AttributeValue>(open) { ["openShard"] = new() { N = "4" } };
        var otherStatus = new Dictionary<string, AttributeValue>(open) { ["status"] = S("COMPLETED") };
        var closed = new Dictionary<string, AttributeValue> { ["pk"] = S("ORDER#1"), ["status"] = S("COMPLETED") };

        Assert.Equal(1, DynamoDbCapacityRules.IndexWriteUnits(null, open, _openOrders));
        Assert.Equal(1, DynamoDbCapacityRules.IndexWriteUnits(open, closed, _openOrders));
        Assert.Equal(2, DynamoDbCapacityRules.IndexWriteUnits(open, moved, _openOrders));
        Assert.Equal(0, DynamoDbCapacityRules.IndexWriteUnits(open, otherStatus, _openOrders));
        Assert.Equal(0, DynamoDbCapacityRules.IndexWriteUnits(closed, closed, _openOrders));
        Assert.Equal(1, DynamoDbCapacityRules.IndexWriteUnits(open, otherStatus, _openOrders with { ProjectionType = "ALL" }));
    }

    [Fact]
    public void Project_Include_KeysAndNamedAttributesOnly()
    {
        var item = new Dictionary<string, AttributeValue> { ["pk"] = S("a"), ["openShard"] = new() { N = "1" }, ["openSince"] = S("t"), ["status"] = S("x"), ["big"] = S(new string('x', 5000)) };
        var projected = DynamoDbCapacityRules.Project(item, _openOrders with { ProjectionType = "INCLUDE", NonKeyAttributes = ["status"] });
        Assert.Equal(["openShard", "openSince", "pk", "status"], projected!.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void WriteUnits_AnySize_MonotoneAndTransactionsDouble() =>
        Gen.Select(Gen.Long[0, 500_000], Gen.Long[0, 500_000]).Sample((a, b) =>
        {
            var (small, large) = a <= b ? (a, b) : (b, a);
            return DynamoDbCapacityRules.WriteUnits(small) <= DynamoDbCapacityRules.WriteUnits(large)
                && DynamoDbCapacityRules.WriteUnits(a, transactional: true) == 2 * DynamoDbCapacityRules.WriteUnits(a)
                && DynamoDbCapacityRules.WriteUnits(a) >= 1
                && DynamoDbCapacityRules.WriteUnits(a) * 1024 >= a
                && (DynamoDbCapacityRules.WriteUnits(a) - 1) * 1024 < Math.Max(a, 1);
        });

    [Fact]
    public void ReadUnits_AnySize_MonotoneAndConsistencyRatios() =>
        Gen.Select(Gen.Long[0, 500_000], Gen.Long[0, 500_000]).Sample((a, b) =>
        {
            var (small, large) = a <= b ? (a, b) : (b, a);
            var strong = DynamoDbCapacityRules.ReadUnits(a, ReadKind.StronglyConsistent);
            return DynamoDbCapacityRules.ReadUnits(small, ReadKind.StronglyConsistent) <= DynamoDbCapacityRules.ReadUnits(large, ReadKind.StronglyConsistent)
                && DynamoDbCapacityRules.ReadUnits(a, ReadKind.EventuallyConsistent) == strong / 2
                && DynamoDbCapacityRules.ReadUnits(a, ReadKind.Transactional) == strong * 2;
        });

    [Fact]
    public void ItemSize_AddingAnAttribute_GrowsByItsNameAndValue() =>
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 20], Gen.String[Gen.Char.AlphaNumeric, 0, 200], Gen.String[Gen.Char.AlphaNumeric, 0, 200]).Sample((name, existing, added) =>
        {
            var item = new Dictionary<string, AttributeValue> { ["pk"] = S(existing) };
            var before = DynamoDbCapacityRules.ItemSize(item);
            item["x" + name] = S(added);
            return DynamoDbCapacityRules.ItemSize(item) == before + 1 + name.Length + added.Length;
        });
}
