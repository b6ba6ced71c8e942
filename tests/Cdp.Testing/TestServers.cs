using System.Diagnostics;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Cdp.Testing;

/// <summary>
/// The PostgreSQL and RabbitMQ servers the tests run against: the ones `./cdp test` started (it sets
/// CDP_TEST_POSTGRES, CDP_TEST_RABBITMQ and CDP_TEST_RABBITMQ_MANAGEMENT), else containers where a
/// Docker engine answers. Without either, tests fail with the fix; they never skip.
/// </summary>
public sealed class TestServers
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static TestServers? _instance;

    public required string Postgres { get; init; }
    public required Uri RabbitMq { get; init; }
    public required Uri RabbitMqManagement { get; init; }

    public static async Task<TestServers> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _instance ??= await ResolveAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<TestServers> ResolveAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("CDP_TEST_POSTGRES");
        var rabbit = Environment.GetEnvironmentVariable("CDP_TEST_RABBITMQ");
        var management = Environment.GetEnvironmentVariable("CDP_TEST_RABBITMQ_MANAGEMENT");
        if (!string.IsNullOrEmpty(postgres) && !string.IsNullOrEmpty(rabbit) && !string.IsNullOrEmpty(management))
        {
            return new TestServers { Postgres = postgres, RabbitMq = new Uri(rabbit), RabbitMqManagement = new Uri(management) };
        }
        if (DockerEngineAnswers())
        {
            var pg = new PostgreSqlBuilder("postgres:15").Build();
            var mq = new RabbitMqBuilder("rabbitmq:3.13-management").WithPortBinding(15672, true)
                // Message counts as fresh as `./cdp infra` has them: quorum queues publish theirs on their tick (5 s by default).
                .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-rabbit quorum_tick_interval 1000 -rabbit collect_statistics_interval 1000").Build();
            await Task.WhenAll(pg.StartAsync(), mq.StartAsync());
            var amqp = new Uri(mq.GetConnectionString());
            return new TestServers
            {
                Postgres = pg.GetConnectionString(),
                RabbitMq = amqp,
                RabbitMqManagement = new Uri($"http://{amqp.UserInfo}@{mq.Hostname}:{mq.GetMappedPublicPort(15672)}"),
            };
        }
        throw new InvalidOperationException(
            "No PostgreSQL and RabbitMQ to test against. Run the suite with `./cdp test` (it starts both and sets " +
            "CDP_TEST_POSTGRES, CDP_TEST_RABBITMQ and CDP_TEST_RABBITMQ_MANAGEMENT), or start a Docker engine for Testcontainers.");
    }

    private static bool DockerEngineAnswers()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (docker is null) return false;
            if (!docker.WaitForExit(10_000))
            {
                docker.Kill();
                return false;
            }
            return docker.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
