using Npgsql;

namespace KrSbert.Cli.Bench.Cluster;

/// <summary>
/// The PostgreSQL that <c>bench cluster</c> is given: each cluster of a run gets a database of its own, created
/// here and dropped when this is disposed, so the run never reads or changes any other data there.
/// </summary>
internal sealed class BenchDatabases : IAsyncDisposable
{
    private readonly NpgsqlDataSource _admin;
    private readonly List<string> _created = [];
    private readonly string _prefix = "krsbert_bench_" + Guid.NewGuid().ToString("N")[..8];

    private BenchDatabases(NpgsqlDataSource admin) => _admin = admin;

    /// <summary>Connects to <paramref name="connectionString"/> (its database, or <c>postgres</c> when it names none) to create and drop databases.</summary>
    /// <exception cref="FormatException">The connection string cannot be read.</exception>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached.</exception>
    public static async Task<BenchDatabases> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"--postgres is not a PostgreSQL connection string: {e.Message}", e);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException("--postgres names no Host (e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\").");
        }

        builder.Database ??= "postgres";
        NpgsqlDataSource admin = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using NpgsqlCommand probe = admin.CreateCommand("SELECT 1");
            await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return new BenchDatabases(admin);
        }
        catch
        {
            await admin.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an empty database for one cluster and answers its connection string.</summary>
    public async Task<string> CreateAsync(CancellationToken cancellationToken)
    {
        string name = $"{_prefix}_{_created.Count}";
        await using (NpgsqlCommand create = _admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _created.Add(name);
        return new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Drops every database this run created (its servers are stopped by then; FORCE ends any connection a pool kept).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (string name in _created)
            {
                await using NpgsqlCommand drop = _admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                await drop.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }
    }
}
