using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.Inventory;
using Fanout.Inventory.Core;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment(InventoryService.ServiceName, requiresTopic: true), TimeProvider.System, Console.Out));
