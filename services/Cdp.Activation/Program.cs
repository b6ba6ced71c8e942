using Cdp.Activation;
using Cdp.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCdpServiceDefaults("cdp-activation");
builder.AddActivation();

var app = builder.Build();
app.MapCdpDefaultEndpoints();
app.MapActivation();
app.Run();
