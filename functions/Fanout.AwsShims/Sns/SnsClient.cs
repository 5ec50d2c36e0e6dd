using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Sns;

/// <summary>The SNS calls Fanout needs, over the Query protocol (form-encoded POST, XML answer), signed with
/// SigV4. A stand-in for AWSSDK.SimpleNotificationService, which the registry copy lacks.</summary>
public sealed class SnsClient
{
    public const int MaxBatchEntries = 10;
    private const string ApiVersion = "2010-03-31";
    private const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";
    /// <summary>The HTTP header that carries the X-Ray trace to the service (AWS X-Ray developer guide, "Tracing header").</summary>
    public const string TraceHeader = "X-Amzn-Trace-Id";

    /// <summary>Where a Lambda runtime puts the invocation's trace header (<c>Lambda-Runtime-Trace-Id</c>) for the SDKs
    /// to read; <see cref="Runtime.LambdaBootstrap"/> sets it before every invocation.</summary>
    public const string TraceEnvironmentVariable = Runtime.LambdaBootstrap.TraceEnvironmentVariable;

    private readonly SignedAwsHttpClient _caller;
    private readonly Func<string?> _traceHeader;

    /// <param name="traceHeader">The <c>X-Amzn-Trace-Id</c> to send with each call (null or blank: none); by default
    /// the invocation's, from <see cref="TraceEnvironmentVariable"/>, so SNS → SQS → Lambda joins one X-Ray trace.</param>
    public SnsClient(SignedAwsHttpClient caller, Func<string?>? traceHeader = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        _caller = caller;
        _traceHeader = traceHeader ?? (static () => Environment.GetEnvironmentVariable(TraceEnvironmentVariable));
    }

    /// <summary>Builds a client from the environment: region, default credentials, and
    /// <c>AWS_ENDPOINT_URL_SNS</c> / <c>AWS_ENDPOINT_URL</c> when set.</summary>
    public static SnsClient FromEnvironment(HttpClient http, TimeProvider time)
    {
        var region = AwsEndpoint.ResolveRegion();
        var endpoint = AwsEndpoint.Resolve("SNS", "sns", region);
        return new SnsClient(new SignedAwsHttpClient(http, SignedAwsHttpClient.DefaultCredentials(), region, "sns", endpoint, time));
    }

    /// <summary>Publishes one message and returns its SNS message id.</summary>
    /// <param name="idempotency"><see cref="CallIdempotency.Idempotent"/> only when a duplicate is harmless (an
    /// event with a fixed id that consumers deduplicate); an SMS to a phone number is
    /// <see cref="CallIdempotency.NotIdempotent"/>: a retry after a timeout could text the customer twice.</param>
    /// <exception cref="AwsServiceException">SNS refused the call; <see cref="AwsServiceException.ErrorCode"/> is its
    /// Query-protocol <c>&lt;Code&gt;</c> (see <see cref="SnsErrors"/>).</exception>
    /// <exception cref="AwsTransportException">No answer from SNS.</exception>
    public async Task<string> PublishAsync(SnsPublishRequest request, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var form = new QueryForm("Publish");
        AddMessage(form, "", request);
        var result = await CallAsync(form, idempotency, cancellationToken);
        return Named(result, "MessageId").Select(e => e.Value).FirstOrDefault()
            ?? throw new AwsServiceException("SNS Publish answered without a MessageId.");
    }

    /// <summary>Publishes up to ten messages to one topic in a single call.</summary>
    /// <param name="idempotency">As for <see cref="PublishAsync"/>: a retried batch publishes every entry again.</param>
    public async Task<SnsPublishBatchResult> PublishBatchAsync(
        string topicArn, IReadOnlyList<SnsPublishRequest> entries, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topicArn);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count is 0 or > MaxBatchEntries)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), entries.Count, "A batch holds 1 to 10 entries.");
        }

        var form = new QueryForm("PublishBatch");
        form.Add("TopicArn", topicArn);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var prefix = $"PublishBatchRequestEntries.member.{(i + 1).ToString(CultureInfo.InvariantCulture)}.";
            form.Add(prefix + "Id", entry.BatchEntryId ?? i.ToString(CultureInfo.InvariantCulture));
            AddMessage(form, prefix, entry);
        }

        var result = await CallAsync(form, idempotency, cancellationToken);
        var successful = Named(Named(result, "Successful"), "member")
            .Select(m => new SnsBatchSuccess(Text(m, "Id"), Text(m, "MessageId"))).ToList();
        var failed = Named(Named(result, "Failed"), "member")
            .Select(m => new SnsBatchFailure(Text(m, "Id"), Text(m, "Code"), Text(m, "Message"), Text(m, "SenderFault") == "true")).ToList();
        return new SnsPublishBatchResult(successful, failed);
    }

    /// <summary>Creates the topic, or returns the existing one's ARN (CreateTopic is idempotent).</summary>
    public async Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string>? attributes, CancellationToken cancellationToken)
    {
        var form = new QueryForm("CreateTopic");
        form.Add("Name", name);
        AddMap(form, "Attributes", attributes);
        var result = await CallAsync(form, CallIdempotency.Idempotent, cancellationToken);
        return Named(result, "TopicArn").Select(e => e.Value).First();
    }

    /// <summary>Subscribes an endpoint (e.g. an SQS queue ARN) to a topic and returns the subscription ARN. Repeating it
    /// with the same attributes returns the same subscription, so it is retried like a read.</summary>
    public async Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string>? attributes, CancellationToken cancellationToken)
    {
        var form = new QueryForm("Subscribe");
        form.Add("TopicArn", topicArn);
        form.Add("Protocol", protocol);
        form.Add("Endpoint", endpoint);
        form.Add("ReturnSubscriptionArn", "true");
        AddMap(form, "Attributes", attributes);
        var result = await CallAsync(form, CallIdempotency.Idempotent, cancellationToken);
        return Named(result, "SubscriptionArn").Select(e => e.Value).First();
    }

    /// <summary>Lists a topic's subscriptions (first page: up to 100).</summary>
    public async Task<IReadOnlyList<(string SubscriptionArn, string Protocol, string Endpoint)>> ListSubscriptionsByTopicAsync(string topicArn, CancellationToken cancellationToken)
    {
        var form = new QueryForm("ListSubscriptionsByTopic");
        form.Add("TopicArn", topicArn);
        var result = await CallAsync(form, CallIdempotency.Idempotent, cancellationToken);
        return Named(Named(result, "Subscriptions"), "member")
            .Select(m => (Text(m, "SubscriptionArn"), Text(m, "Protocol"), Text(m, "Endpoint"))).ToList();
    }

    /// <summary>The form body a call would send; exposed for wire-format tests.</summary>
    internal static string BuildPublishForm(SnsPublishRequest request)
    {
        var form = new QueryForm("Publish");
        AddMessage(form, "", request);
        return form.ToString();
    }

    private static void AddMessage(QueryForm form, string prefix, SnsPublishRequest request)
    {
        if (request.TopicArn is not null && prefix.Length == 0)
        {
            form.Add("TopicArn", request.TopicArn);
        }

        if (request.PhoneNumber is not null)
        {
            form.Add(prefix + "PhoneNumber", request.PhoneNumber);
        }

        form.Add(prefix + "Message", request.Message);
        if (request.Subject is not null)
        {
            form.Add(prefix + "Subject", request.Subject);
        }

        var index = 1;
        foreach (var (name, value) in request.StringAttributes)
        {
            var entry = $"{prefix}MessageAttributes.entry.{index.ToString(CultureInfo.InvariantCulture)}.";
            form.Add(entry + "Name", name);
            form.Add(entry + "Value.DataType", "String");
            form.Add(entry + "Value.StringValue", value);
            index++;
        }
    }

    private static void AddMap(QueryForm form, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null)
        {
            return;
        }

        var index = 1;
        foreach (var (key, value) in map)
        {
            var entry = $"{name}.entry.{index.ToString(CultureInfo.InvariantCulture)}.";
            form.Add(entry + "key", key);
            form.Add(entry + "value", value);
            index++;
        }
    }

    private async Task<XElement> CallAsync(QueryForm form, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(form.ToString());
        var trace = _traceHeader();
        var result = IsSendableTraceHeader(trace)
            ? await _caller.SendAsync(HttpMethod.Post, "/", FormContentType, body, idempotency, new Dictionary<string, string>(1) { [TraceHeader] = trace }, cancellationToken)
            : await _caller.SendAsync(HttpMethod.Post, "/", FormContentType, body, idempotency, cancellationToken);
        var document = ParseXml(result.Body);
        if (!result.IsSuccess)
        {
            var error = document?.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Error");
            var message = error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? result.Body;
            throw new AwsServiceException("SNS", result.ErrorCode ?? "Unknown", message, result.StatusCode);
        }

        return document ?? throw new AwsServiceException($"SNS answered {(int)result.StatusCode} with a body that is not XML.");
    }

    /// <summary>A trace header is sent only as visible ASCII of sane length (<c>Root=1-…;Parent=…;Sampled=1</c>), never
    /// anything that could break the request's header block.</summary>
    private static bool IsSendableTraceHeader([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 256)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static XElement? ParseXml(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return XElement.Parse(body);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    // Matching on local names accepts answers with or without the SNS XML namespace (emulators differ).
    private static IEnumerable<XElement> Named(XElement root, string localName) => root.Descendants().Where(e => e.Name.LocalName == localName);

    private static IEnumerable<XElement> Named(IEnumerable<XElement> parents, string localName) => parents.Elements().Where(e => e.Name.LocalName == localName);

    private static string Text(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

    /// <summary>An application/x-www-form-urlencoded body built in insertion order.</summary>
    private sealed class QueryForm
    {
        private readonly StringBuilder _builder = new();

        public QueryForm(string action)
        {
            Add("Action", action);
            Add("Version", ApiVersion);
        }

        public void Add(string name, string value)
        {
            if (_builder.Length > 0)
            {
                _builder.Append('&');
            }

            _builder.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        public override string ToString() => _builder.ToString();
    }
}
