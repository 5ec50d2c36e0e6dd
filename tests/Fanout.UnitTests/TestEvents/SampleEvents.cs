namespace Fanout.UnitTests.TestEvents;

/// <summary>Reads the AWS-shaped sample events copied next to the test assembly.</summary>
internal static class SampleEvents
{
    public const string Sqs = "sqs-event.json";
    public const string HttpApi = "http-api-request.json";

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "SampleEvents", name));
}
