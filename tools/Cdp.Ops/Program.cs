using Cdp.Ops;

return await OpsCli.RunAsync(args);
