using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.Reconciler;
using Fanout.Reconciler.Core;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment("reconciler", requiresTopic: true), ReconcilerSettings.FromEnvironment(), TimeProvider.System, Console.Out));
