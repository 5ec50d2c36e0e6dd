using Fanout.AwsShims.Runtime;
using Fanout.Email;
using Fanout.Email.Core;
using Fanout.Functions.Common.Configuration;

return await LambdaBootstrap.RunAsync(() =>
    Composition.Create(FunctionSettings.FromEnvironment(EmailService.ServiceName, requiresTopic: true), TimeProvider.System, Console.Out));
