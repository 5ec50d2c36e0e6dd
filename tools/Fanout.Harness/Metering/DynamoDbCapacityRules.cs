using System.Text;
using Amazon.DynamoDBv2.Model;

namespace Fanout.Harness.Metering;

/// <summary>How a read is billed (AWS DynamoDB developer guide, "DynamoDB read and write operations").</summary>
public enum ReadKind
{
    /// <summary>Half a read unit per started 4 KB (the default of <c>GetItem</c>, <c>Query</c>, <c>Scan</c>).</summary>
    EventuallyConsistent,

    /// <summary>One read unit per started 4 KB (<c>ConsistentRead = true</c>).</summary>
    StronglyConsistent,

    /// <summary>Two read units per started 4 KB (<c>TransactGetItems</c>).</summary>
    Transactional,
}

/// <summary>What a global secondary index copies from the base item (<c>Projection.ProjectionType</c>).</summary>
/// <param name="IndexKeys">The index's partition (and sort) key attribute names.</param>
/// <param name="TableKeys">The base table's key attribute names, always projected.</param>
/// <param name="ProjectionType"><c>KEYS_ONLY</c>, <c>INCLUDE</c> or <c>ALL</c>.</param>
/// <param name="NonKeyAttributes">For <c>INCLUDE</c>, the other attributes projected.</param>
public sealed record IndexShape(string Name, IReadOnlyList<string> IndexKeys, IReadOnlyList<string> TableKeys, string ProjectionType, IReadOnlyList<string> NonKeyAttributes);

/// <summary>DynamoDB's capacity arithmetic as AWS documents it, with no I/O: item sizes, then read and write units.</summary>
/// <remarks>
/// <para>Sources: the Amazon DynamoDB developer guide pages "DynamoDB item sizes and formats"
/// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html), "DynamoDB read
/// and write operations" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html),
/// "Managing complex workflows with DynamoDB transactions" (capacity for transactions) and "Using Global Secondary
/// Indexes in DynamoDB" (provisioned throughput considerations for index writes). The same units are the request units
/// of on-demand mode.</para>
/// <list type="bullet">
/// <item>Item size: the UTF-8 bytes of every attribute name plus its value: a string's UTF-8 bytes; a number about one
/// byte per two significant digits plus one; a binary value's raw bytes; a Boolean or null one byte; a list or map 3
/// bytes plus its elements, plus 1 byte per element (a map's element names count as names); a set the sum of its
/// members.</item>
/// <item>Writes: one unit per started 1 KB of the larger of the item before and after (a put or update), of the old
/// item for a delete; a write whose condition failed still costs the existing item's size (at least 1 unit); inside a
/// transaction every action costs twice (condition checks included).</item>
/// <item>Reads: per started 4 KB, ×0.5 eventually consistent, ×1 strongly, ×2 transactional; a query or scan sums the
/// sizes of the items it read and rounds once; a batch rounds every item on its own; a read that finds nothing still
/// costs its minimum.</item>
/// <item>Global secondary indexes: a write that gives an item an index entry puts it (its projected size), one that
/// removes the entry deletes it, one that changes the index key does both, one that changes projected attributes
/// updates it (the larger size), one that changes nothing projected writes nothing.</item>
/// </list>
/// </remarks>
public static class DynamoDbCapacityRules
{
    /// <summary>1 KB, the write unit's step.</summary>
    public const int WriteStepBytes = 1024;

    /// <summary>4 KB, the read unit's step.</summary>
    public const int ReadStepBytes = 4096;

    /// <summary>The item's size in bytes (0 for a missing item).</summary>
    public static long ItemSize(IReadOnlyDictionary<string, AttributeValue>? item)
    {
        if (item is null)
        {
            return 0;
        }

        long size = 0;
        foreach (var (name, value) in item)
        {
            size += Encoding.UTF8.GetByteCount(name) + ValueSize(value);
        }

        return size;
    }

    /// <inheritdoc cref="ItemSize(IReadOnlyDictionary{string, AttributeValue}?)"/>
    public static long ItemSize(Dictionary<string, AttributeValue>? item) => ItemSize((IReadOnlyDictionary<string, AttributeValue>?)item);

    /// <summary>The size in bytes of one value, its attribute name not included.</summary>
    public static long ValueSize(AttributeValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.S is not null)
        {
            return Encoding.UTF8.GetByteCount(value.S);
        }

        if (value.N is not null)
        {
            return NumberSize(value.N);
        }

        if (value.B is not null)
        {
            return value.B.Length;
        }

        if (value.BOOL is not null || value.NULL is not null)
        {
            return 1;
        }

        if (value.M is not null)
        {
            long size = 3;
            foreach (var (name, element) in value.M)
            {
                size += 1 + Encoding.UTF8.GetByteCount(name) + ValueSize(element);
            }

            return size;
        }

        if (value.L is not null)
        {
            long size = 3;
            foreach (var element in value.L)
            {
                size += 1 + ValueSize(element);
            }

            return size;
        }

        if (value.SS is not null)
        {
            return value.SS.Sum(s => (long)Encoding.UTF8.GetByteCount(s));
        }

        if (value.NS is not null)
        {
            return value.NS.Sum(NumberSize);
        }

        return value.BS?.Sum(b => b.Length) ?? 0;
    }

    /// <summary>A number's size: one byte per two significant digits (leading and trailing zeros trimmed, sign,
    /// decimal point and exponent not counted), plus one byte.</summary>
    public static long NumberSize(string number)
    {
        ArgumentNullException.ThrowIfNull(number);
        var mantissa = number.AsSpan();
        var exponent = mantissa.IndexOfAny('e', 'E');
        if (exponent >= 0)
        {
            mantissa = mantissa[..exponent];
        }

        Span<char> digits = stackalloc char[mantissa.Length];
        var count = 0;
        foreach (var c in mantissa)
        {
            if (char.IsAsciiDigit(c))
            {
                digits[count++] = c;
            }
        }

        var significant = digits[..count].Trim('0').Length;
        return ((significant + 1) / 2) + 1;
    }

    /// <summary>Write units for writing <paramref name="bytes"/> once: one per started 1 KB, at least one; twice that
    /// inside a transaction.</summary>
    public static double WriteUnits(long bytes, bool transactional = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var steps = Math.Max(1, (bytes + WriteStepBytes - 1) / WriteStepBytes);
        return transactional ? steps * 2 : steps;
    }

    /// <summary>A put or update: the larger of the item before (<paramref name="oldBytes"/>, 0 when absent) and
    /// after. A failed condition wrote nothing but still costs the existing item's size.</summary>
    public static double PutOrUpdateUnits(long oldBytes, long newBytes, bool conditionFailed = false, bool transactional = false) =>
        WriteUnits(conditionFailed ? oldBytes : Math.Max(oldBytes, newBytes), transactional);

    /// <summary>A delete: the size of the item deleted (at least one unit, also when there was none).</summary>
    public static double DeleteUnits(long oldBytes, bool transactional = false) => WriteUnits(oldBytes, transactional);

    /// <summary>Read units for reading one item of <paramref name="bytes"/> (0 when none was found: the minimum).</summary>
    public static double ReadUnits(long bytes, ReadKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var steps = Math.Max(1, (bytes + ReadStepBytes - 1) / ReadStepBytes);
        return kind switch
        {
            ReadKind.EventuallyConsistent => steps * 0.5,
            ReadKind.StronglyConsistent => steps,
            _ => steps * 2,
        };
    }

    /// <summary>A query or scan: the sizes of every item read, summed, then rounded up to 4 KB once.</summary>
    public static double QueryUnits(IEnumerable<long> itemSizes, ReadKind kind)
    {
        ArgumentNullException.ThrowIfNull(itemSizes);
        return ReadUnits(itemSizes.Sum(), kind);
    }

    /// <summary>A batch read: every item rounded up to 4 KB on its own, then summed.</summary>
    public static double BatchReadUnits(IEnumerable<long> itemSizes, ReadKind kind)
    {
        ArgumentNullException.ThrowIfNull(itemSizes);
        return itemSizes.Sum(size => ReadUnits(size, kind));
    }

    /// <summary>The item's index entry under <paramref name="index"/>, or null when the item has no value for every
    /// index key (then the index holds no entry for it).</summary>
    public static Dictionary<string, AttributeValue>? Project(IReadOnlyDictionary<string, AttributeValue>? item, IndexShape index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (item is null || index.IndexKeys.Any(key => !item.ContainsKey(key)))
        {
            return null;
        }

        if (index.ProjectionType == "ALL")
        {
            return new Dictionary<string, AttributeValue>(item);
        }

        var projected = new Dictionary<string, AttributeValue>();
        foreach (var name in index.TableKeys.Concat(index.IndexKeys).Concat(index.ProjectionType == "INCLUDE" ? index.NonKeyAttributes : []))
        {
            if (item.TryGetValue(name, out var value))
            {
                projected[name] = value;
            }
        }

        return projected;
    }

    /// <summary>Write units the index consumes when the base item goes from <paramref name="before"/> to
    /// <paramref name="after"/> (either may be null: absent). Index writes are never transactional.</summary>
    public static double IndexWriteUnits(IReadOnlyDictionary<string, AttributeValue>? before, IReadOnlyDictionary<string, AttributeValue>? after, IndexShape index)
    {
        var old = Project(before, index);
        var now = Project(after, index);
        if (old is null && now is null)
        {
            return 0;
        }

        if (old is null)
        {
            return WriteUnits(ItemSize(now));
        }

        if (now is null)
        {
            return DeleteUnits(ItemSize(old));
        }

        if (!SameValues(old, now, index.IndexKeys))
        {
            return DeleteUnits(ItemSize(old)) + WriteUnits(ItemSize(now));
        }

        return SameValues(old, now, old.Keys.Union(now.Keys).ToList()) ? 0 : WriteUnits(Math.Max(ItemSize(old), ItemSize(now)));
    }

    private static bool SameValues(Dictionary<string, AttributeValue> a, Dictionary<string, AttributeValue> b, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            var inA = a.TryGetValue(name, out var va);
            var inB = b.TryGetValue(name, out var vb);
            if (inA != inB || (inA && !SameValue(va!, vb!)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether two values are equal (sets compared as written; good enough for a change test).</summary>
    public static bool SameValue(AttributeValue a, AttributeValue b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.S is not null || b.S is not null)
        {
            return a.S == b.S;
        }

        if (a.N is not null || b.N is not null)
        {
            return a.N == b.N;
        }

        if (a.B is not null || b.B is not null)
        {
            return a.B is not null && b.B is not null && a.B.ToArray().AsSpan().SequenceEqual(b.B.ToArray());
        }

        if (a.BOOL is not null || b.BOOL is not null)
        {
            return a.BOOL == b.BOOL;
        }

        if (a.M is not null || b.M is not null)
        {
            return a.M is not null && b.M is not null && a.M.Count == b.M.Count
                && a.M.All(kv => b.M.TryGetValue(kv.Key, out var other) && SameValue(kv.Value, other));
        }

        if (a.L is not null || b.L is not null)
        {
            return a.L is not null && b.L is not null && a.L.Count == b.L.Count && a.L.Zip(b.L).All(p => SameValue(p.First, p.Second));
        }

        if (a.SS is not null || b.SS is not null)
        {
            return a.SS is not null && b.SS is not null && a.SS.Order(StringComparer.Ordinal).SequenceEqual(b.SS.Order(StringComparer.Ordinal));
        }

        if (a.NS is not null || b.NS is not null)
        {
            return a.NS is not null && b.NS is not null && a.NS.Order(StringComparer.Ordinal).SequenceEqual(b.NS.Order(StringComparer.Ordinal));
        }

        return ItemSize(new Dictionary<string, AttributeValue> { ["v"] = a }) == ItemSize(new Dictionary<string, AttributeValue> { ["v"] = b });
    }
}
