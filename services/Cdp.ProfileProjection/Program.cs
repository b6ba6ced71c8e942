using Cdp.ProfileProjection;
using Cdp.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCdpServiceDefaults("cdp-profile-projection");
builder.AddProfileProjection();

var app = builder.Build();
app.MapCdpDefaultEndpoints();
app.MapProfileProjection();
app.Run();
