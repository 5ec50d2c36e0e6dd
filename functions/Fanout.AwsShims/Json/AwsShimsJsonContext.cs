using System.Text.Json.Serialization;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Runtime;
using Fanout.AwsShims.Ses;

namespace Fanout.AwsShims.Json;

/// <summary>Source-generated serializers for every wire shape in this project (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(DynamoDbStreamEvent))]
[JsonSerializable(typeof(StreamsBatchResponse))]
[JsonSerializable(typeof(HttpApiRequest))]
[JsonSerializable(typeof(HttpApiResponse))]
[JsonSerializable(typeof(RuntimeErrorPayload))]
[JsonSerializable(typeof(SesSendEmailRequest))]
[JsonSerializable(typeof(SesSendEmailResponse))]
[JsonSerializable(typeof(SesErrorResponse))]
public sealed partial class AwsShimsJsonContext : JsonSerializerContext;
