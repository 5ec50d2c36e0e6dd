using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment(OrderService.ServiceName, requiresTopic: true), TimeProvider.System, Console.Out));
