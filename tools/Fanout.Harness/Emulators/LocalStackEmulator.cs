using System.Net.Sockets;
using Testcontainers.LocalStack;

namespace Fanout.Harness.Emulators;

/// <summary>LocalStack in Docker through Testcontainers: optional, chosen with <c>FANOUT_EMULATOR=localstack</c>.
/// The image tag is pinned (the <c>latest</c> tag needs a paid token since March 2026);
/// <c>LOCALSTACK_AUTH_TOKEN</c> is forwarded when set.</summary>
public sealed class LocalStackEmulator : IEmulatorSet
{
    public const string Image = "localstack/localstack:4.7.0";
    private readonly LocalStackContainer _container;

    private LocalStackEmulator(LocalStackContainer container, string region)
    {
        _container = container;
        var endpoint = new Uri(container.GetConnectionString());
        Target = new AwsTarget(endpoint, endpoint, endpoint, region, "test", "test");
    }

    public string Description => $"LocalStack ({Image}) at {Target.Sqs}";

    public AwsTarget Target { get; }

    public static async Task<LocalStackEmulator> StartAsync(string region, CancellationToken cancellationToken)
    {
        var builder = new LocalStackBuilder(Image).WithEnvironment("SERVICES", "sns,sqs,dynamodb").WithEnvironment("DEFAULT_REGION", region);
        if (Environment.GetEnvironmentVariable("LOCALSTACK_AUTH_TOKEN") is { Length: > 0 } token)
        {
            builder = builder.WithEnvironment("LOCALSTACK_AUTH_TOKEN", token);
        }

        var container = builder.Build();
        await container.StartAsync(cancellationToken);
        return new LocalStackEmulator(container, region);
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}

/// <summary>Answers "is a Docker engine reachable?" by asking it (<c>GET /_ping</c>), not by looking for the CLI.</summary>
public static class DockerEngine
{
    public static async Task<(bool Available, string Reason)> ProbeAsync(CancellationToken cancellationToken)
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var socketPath = host is { Length: > 0 } && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : "/var/run/docker.sock";
        if (host is { Length: > 0 } && !host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return await ProbeHttpAsync(new Uri(host.Replace("tcp://", "http://", StringComparison.Ordinal)), null, cancellationToken);
        }

        if (!File.Exists(socketPath))
        {
            return (false, $"no Docker engine: socket {socketPath} does not exist");
        }

        return await ProbeHttpAsync(new Uri("http://docker/"), socketPath, cancellationToken);
    }

    private static async Task<(bool, string)> ProbeHttpAsync(Uri baseUri, string? socketPath, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler();
        if (socketPath is not null)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri(baseUri, "_ping"), cancellationToken);
            return response.IsSuccessStatusCode ? (true, "Docker engine answered /_ping") : (false, $"no Docker engine: /_ping answered {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or TaskCanceledException)
        {
            return (false, $"no Docker engine answers at {socketPath ?? baseUri.ToString()}: {ex.Message}");
        }
    }
}
