using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.OutboxRelay;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment("outboxrelay", requiresTopic: true), TimeProvider.System, Console.Out));
