using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.Contracts.Events;
using Fanout.OrderIntake.Core;

BenchmarkSwitcher.FromAssembly(typeof(Fanout.Benchmarks.HotPathBenchmarks).Assembly).Run(args);

namespace Fanout.Benchmarks
{
    /// <summary>The per-request and per-message work of the functions, without I/O.</summary>
    [MemoryDiagnoser]
#pragma warning disable CA1822 // BenchmarkDotNet runs instance methods.
    public class HotPathBenchmarks
    {
        private static readonly byte[] OrderBody = Encoding.UTF8.GetBytes(
            "{\"customer\":{\"id\":\"c-1\",\"email\":\"ada@example.com\",\"phone\":\"+14155550123\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":2},{\"sku\":\"TSHIRT-RED-M\",\"quantity\":1}]}");

        private string _orderPlacedJson = "";
        private byte[] _sqsBatch = [];

        [GlobalSetup]
        public void Setup()
        {
            var placed = new OrderPlaced
            {
                OrderId = Guid.NewGuid().ToString(),
                Customer = new CustomerInfo { Id = "c-1", Email = "ada@example.com", Phone = "+14155550123" },
                Items = [new OrderLine { Sku = "MUG-WHITE", Quantity = 2 }],
                PlacedAt = DateTimeOffset.UnixEpoch,
            };
            _orderPlacedJson = JsonSerializer.Serialize(
                new CloudEvent<OrderPlaced> { Id = "e-1", Source = EventSources.Orders, Type = EventTypes.OrderPlaced, Time = DateTimeOffset.UnixEpoch, CorrelationId = "corr-1", Data = placed },
                ContractsJsonContext.Default.CloudEventOrderPlaced);
            var batch = new SqsEvent();
            for (var i = 0; i < 10; i++)
            {
                batch.Records.Add(new SqsMessage { MessageId = "m" + i, ReceiptHandle = "r" + i, Body = _orderPlacedJson, EventSourceArn = "arn:aws:sqs:us-east-1:123456789012:fanout-sms", AwsRegion = "us-east-1" });
            }

            _sqsBatch = JsonSerializer.SerializeToUtf8Bytes(batch, AwsShimsJsonContext.Default.SqsEvent);
        }

        [Benchmark(Description = "validate POST /orders body")]
        public bool ValidateOrder() => OrderRequestValidator.CheckBody(OrderBody).IsValid;

        [Benchmark(Description = "parse + check OrderPlaced envelope")]
        public string ParseOrderPlaced() => EventParser.Parse(_orderPlacedJson, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced).PayloadHash;

        [Benchmark(Description = "deserialize 10-record SQS event")]
        public int DeserializeSqsBatch() => JsonSerializer.Deserialize(_sqsBatch, AwsShimsJsonContext.Default.SqsEvent)!.Records.Count;

        [Benchmark(Description = "deterministic outcome event id")]
        public string OutcomeEventId() => EventIds.For("0192f0c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f", "sms", "SENT");
    }
}
