using Cdp.Collector;
using Cdp.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCdpServiceDefaults("cdp-collector");
builder.AddCollector();

var app = builder.Build();
app.MapCdpDefaultEndpoints();
app.MapCollector();
app.Run();
