using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Configuration;
using Fanout.Sms;
using Fanout.Sms.Core;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment(SmsService.ServiceName, requiresTopic: true), TimeProvider.System, Console.Out));
