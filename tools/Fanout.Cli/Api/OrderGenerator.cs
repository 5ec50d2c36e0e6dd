using System.Globalization;
using Fanout.Contracts.Events;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Api;

/// <summary>Random valid orders for load: 1 to 3 distinct SKUs, 1 to 3 units each, about three in four with a phone
/// (so both the SMS-sent and SMS-skipped paths are exercised).</summary>
internal sealed class OrderGenerator
{
    public const double PhoneShare = 0.75;
    private readonly IReadOnlyList<string> _skus;
    private readonly Random _random;
    private readonly string _runId;
    private readonly Lock _gate = new();

    public OrderGenerator(IReadOnlyList<string> skus, Random random, string runId)
    {
        ArgumentNullException.ThrowIfNull(skus);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        if (skus.Count == 0)
        {
            throw new ArgumentException("At least one SKU is needed.", nameof(skus));
        }

        _skus = skus;
        _random = random;
        _runId = runId;
    }

    public PlaceOrderCommand Next(int sequence)
    {
        // Random is not thread-safe; orders are generated from the dispatcher, but guard anyway.
        lock (_gate)
        {
            var mailbox = string.Create(CultureInfo.InvariantCulture, $"load-{_runId}-{sequence}");
#pragma warning disable CA5394 // Synthetic test data: no security decision depends on these numbers.
            var lines = _skus.OrderBy(_ => _random.Next()).Take(_random.Next(1, Math.Min(3, _skus.Count) + 1))
                .Select(sku => new OrderLine { Sku = sku, Quantity = _random.Next(1, 4) })
                .ToList();
            var phone = _random.NextDouble() < PhoneShare
                ? string.Create(CultureInfo.InvariantCulture, $"+1555{_random.Next(0, 10_000_000):D7}")
                : null;
#pragma warning restore CA5394
            return new PlaceOrderCommand
            {
                // No customer id: the API takes the customer from the signed-in user's token.
                Customer = new CustomerInfo { Email = mailbox + "@example.com", Phone = phone },
                Items = lines,
            };
        }
    }
}
