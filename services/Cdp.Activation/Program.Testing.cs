// Exposes the entry point to WebApplicationFactory<Program> in the tests.
public partial class Program;
