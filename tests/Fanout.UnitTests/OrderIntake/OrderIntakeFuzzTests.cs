using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderIntake;

/// <summary>Randomized hostile input: whatever body and headers arrive, <c>POST /orders</c> answers 202 or a 4xx
/// problem document, never throws and never answers 5xx; and a refused request stores and publishes nothing.</summary>
[Trait("Category", "Unit")]
public sealed class OrderIntakeFuzzTests
{
    private const int Iterations = 10_000;

    private static readonly string[] Fragments =
    [
        "\n", "\r\n", "\t", "\0", "\u0001", "\u001f", "\u007f", "\u0085", "\u2028", "\ufeff", "\ufffd", "é", "😀",
        "\ud800", "\udc00", "\\ud800", "\\udc00", "\\udc00\\ud800", "\\ud83d\\ude00", "\\u0000", "\\n", "\\", "\\\"", "\\x",
        "\"", "{", "}", "[", "]", ":", ",", " ", "null", "true", "false", "0", "-0", "1.5", "1e309", "-1e309",
        "99999999999999999999999999", "2147483648", "1000", "1001", "\"items\":[],", "\"customer\":{},", "\"quantity\":1,",
        "\"sku\":\"MUG-01\",", "\"\\ud800\":1,", "\"id\":\"\\udfff\",", "/*c*/", "'", "NaN", "Infinity", "@", ".", "..",
        new string('[', 40), new string(']', 40), new string('{', 20), "\"" + new string('x', 300) + "\"",
    ];

    private static readonly string[] Keys = ["customer", "items", "id", "email", "phone", "sku", "quantity", "coupon", "\\ud800", "ID", ""];

    private static readonly Gen<string> Token = Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"].Array[1, 20].Select(c => new string(c));

    /// <summary>Orders that every rule accepts: they must all be 202.</summary>
    private static readonly Gen<string> ValidOrder = Gen.Select(
        Token,
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789+_"].Array[1, 30],
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 30],
        Gen.Int[1, 1000].Array[1, 12],
        Gen.Bool,
        (id, local, domain, quantities, phone) =>
        {
            var customer = new JsonObject { ["id"] = id, ["email"] = $"{new string(local)}@{new string(domain)}.example.com" };
            if (phone)
            {
                customer["phone"] = "+14155550123";
            }

            var items = new JsonArray([.. quantities.Select((q, i) => (JsonNode)new JsonObject { ["sku"] = $"SKU-{i}", ["quantity"] = q })]);
            return new JsonObject { ["customer"] = customer, ["items"] = items }.ToJsonString();
        });

    /// <summary>Valid orders with a few random edits: inserted fragments (control characters, lone surrogates raw and
    /// escaped, duplicate properties, huge numbers, deep nesting) and deleted spans.</summary>
    private static readonly Gen<string> MutatedOrder = Gen.Select(
        ValidOrder,
        Gen.Select(Gen.Int[0, 10_000], Gen.OneOf(Fragments), Gen.Int[0, 3]).Array[1, 4],
        (order, edits) =>
        {
            var text = new StringBuilder(order);
            foreach (var (at, fragment, delete) in edits)
            {
                var position = at % (text.Length + 1);
                text.Remove(position, Math.Min(delete, text.Length - position));
                text.Insert(position, fragment);
            }

            return text.ToString();
        });

    /// <summary>JSON-like token soup: keys, values and punctuation in random order and nesting.</summary>
    private static readonly Gen<string> RandomJson = Gen.OneOf(
        Gen.OneOf(Fragments),
        Gen.OneOf(Keys).Select(k => $"\"{k}\":"),
        Token.Select(t => $"\"{t}\"")).Array[0, 40].Select(parts => "{" + string.Concat(parts) + "}");

    private static readonly Gen<string> DeepNesting = Gen.Int[1, 200].Select(depth =>
        "{\"customer\":{\"id\":" + new string('[', depth) + "1" + new string(']', depth) + ",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}]}");

    private static readonly Gen<string?> Header = Gen.Frequency(
        (6, Gen.Const((string?)null)),
        (2, Token.Select(t => (string?)t)),
        (1, Token.Select(t => (string?)$"\"{t}\"")),
        (1, Gen.OneOf(Fragments).Array[1, 4].Select(f => (string?)string.Concat(f))));

    private static readonly Gen<Case> Cases = Gen.Frequency(
        (3, ValidOrder.Select(b => new Case(b, null, Valid: true))),
        (4, MutatedOrder.Select(b => new Case(b, null, Valid: false))),
        (2, RandomJson.Select(b => new Case(b, null, Valid: false))),
        (1, DeepNesting.Select(b => new Case(b, null, Valid: false))),
        (1, Gen.Byte.Array[0, 300].Select(bytes => new Case(null, bytes, Valid: false))),
        (1, MutatedOrder.Select(b => new Case(null, Encoding.UTF8.GetBytes(b), Valid: false))))
        .Select(Header, Header, (c, key, correlation) => c with { IdempotencyKey = key, CorrelationId = correlation });

    [Fact]
    public async Task HandleAsync_TenThousandGeneratedBodies_AnswerOnly202OrA4xxProblemAndStoreOnlyAcceptedOrders()
    {
        var time = TestClock.Create();
        var store = new InMemoryOrderStore(time);
        var publisher = new RecordingEventPublisher();
        var function = new OrderIntakeFunction(new OrderService(store, publisher, time), new FanoutLogger("orders", time, TextWriter.Null), OrderApiTopology.DefaultSmsAllowedCountryCodes);
        var ran = 0;
        var accepted = 0;

        await Cases.SampleAsync(
            async c =>
            {
                ran++;
                var before = store.Orders.Count;
                // An operator may name any customer, so generated customer ids are judged by syntax alone.
                var request = HttpApiRequestBuilder.PostOrder(c.Text ?? "").AsOperator();
                if (c.Bytes is not null)
                {
                    request.WithBase64Body(c.Bytes);
                }

                // Valid orders get a fresh key or none, so a random earlier key cannot turn them into a 409.
                var key = c.Valid ? (c.IdempotencyKey is null ? null : Guid.NewGuid().ToString()) : c.IdempotencyKey;
                if (key is not null)
                {
                    request.WithIdempotencyKey(key);
                }

                if (c.CorrelationId is not null)
                {
                    request.WithHeader(OrderIntakeFunction.CorrelationHeader, c.CorrelationId);
                }

                var response = await function.HandleAsync(request.Build(), TestContext.Current.CancellationToken);

                if (c.Valid)
                {
                    Assert.True(response.StatusCode == 202, $"{response.StatusCode} {response.Body}");
                }

                if (response.StatusCode == 202)
                {
                    accepted++;
                    Assert.True(store.Orders.Count - before is 0 or 1);
                    return;
                }

                Assert.InRange(response.StatusCode, 400, 499);
                Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
                using var problem = JsonDocument.Parse(response.Body!);
                Assert.Equal(response.StatusCode, problem.RootElement.GetProperty("status").GetInt32());
                Assert.Equal(before, store.Orders.Count);
            },
            iter: Iterations,
            threads: 1);

        Assert.Equal(Iterations, ran);
        Assert.Equal(store.Orders.Count, publisher.Published.Count);
        Assert.InRange(accepted, Iterations / 5, Iterations - 1);
    }

    private sealed record Case(string? Text, byte[]? Bytes, bool Valid)
    {
        public string? IdempotencyKey { get; init; }

        public string? CorrelationId { get; init; }
    }
}
