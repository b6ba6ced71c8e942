using Cdp.IdentityResolution;
using Cdp.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCdpServiceDefaults("cdp-identity-resolution");
builder.AddIdentityResolution();

var app = builder.Build();
app.MapCdpDefaultEndpoints();
app.MapIdentityResolution();
app.Run();
