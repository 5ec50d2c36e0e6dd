using Amazon.CDK;
using Fanout.Contracts.Topology;
using Fanout.Infra;

// `list-functions` lets scripts/build-functions.sh build exactly the topology's functions, without a copy of the list.
if (args is ["list-functions"])
{
    foreach (var function in FanoutTopology.Functions)
    {
        Console.WriteLine($"{function.Name} {function.Project}");
    }

    return 0;
}

try
{
    var app = new App();
    var settings = StackSettings.FromContext(key => app.Node.TryGetContext(key));
    _ = new FanoutStack(app, settings.StackName, new FanoutStackProps
    {
        Settings = settings,
        Description = "Fanout: order events fanned out from SNS to per-service SQS queues and Lambda consumers",
    });
    app.Synth();
    return 0;
}
catch (Exception ex) when (ex is TopologyException or InfraConfigurationException)
{
    // A plain message, not a stack trace: these are the user's settings or build to fix.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
