using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.OrderStatus;
using Fanout.OrderStatus.Core;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment(OrderStatusService.ServiceName, requiresTopic: false), TimeProvider.System, Console.Out));
