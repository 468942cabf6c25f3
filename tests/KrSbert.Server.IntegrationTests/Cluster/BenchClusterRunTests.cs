using System.Globalization;
using System.Text.RegularExpressions;
using KrSbert.Cli.Tests;
using KrSbert.Cluster.Tests.WriteLog;
using Npgsql;

namespace KrSbert.Server.IntegrationTests.Cluster;

/// <summary>
/// <c>krsbert bench cluster</c> run as a user runs it, at a tiny size, against the throwaway PostgreSQL: every row
/// it promises is printed with numbers that parse and add up, the recovered replica catches up exactly the rows
/// appended after the snapshot, and the databases it created are gone afterwards.
/// </summary>
[Collection(ClusterPostgres.Name)]
[Trait("Category", "Slow")]
public sealed partial class BenchClusterRunTests(PostgresCluster postgres)
{
    private const string Number = @"(-?\d+(?:\.\d+)?)";

    [PostgresFact]
    public async Task Bench_cluster_prints_ingest_query_added_breakdown_and_recovery_rows_and_drops_its_databases()
    {
        string input = Path.Combine(Path.GetTempPath(), "krsbert-bench-cluster-texts-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 40).Select(i => $"문서 {i}: 도서관은 평일 아침 일찍 문을 연다 {i % 7}"));
        try
        {
            KrSbertProcess.Result result = await KrSbertProcess.RunProgramAsync("krsbert.dll", null, TimeSpan.FromMinutes(6),
                "bench", "cluster", "--postgres", postgres.DataSource.ConnectionString, "--input", input,
                "--layouts", "1x1,2x2", "--ingest-documents", "30", "--documents", "200", "--clients", "1,2", "--seconds", "1",
                "--recovery-documents", "300", "--recovery-dimensions", "16", "--recovery-appended", "20").WaitAsync(TimeSpan.FromMinutes(7));

            Assert.True(result.ExitCode == 0, result.Error + result.Output);
            string output = result.Output;
            foreach (string target in new[] { "single", "cluster 1x1", "cluster 2x2" })
            {
                Assert.True(Positive(Match(output, $@"^ingest {target}: {Number} docs/s acknowledged \(30 texts").Groups[1]), target);
                foreach (int clients in new[] { 1, 2 })
                {
                    Match row = Match(output, $@"^query {target} clients {clients}: {Number} queries/s, p50 {Number} ms, p99 {Number} ms, server p50 {Number} ms, server p99 {Number} ms(?:, added p50 {Number} ms, added p99 {Number} ms)?$");
                    Assert.True(Positive(row.Groups[1]) && Positive(row.Groups[2]) && Positive(row.Groups[4]), row.Value);
                    Assert.True(Value(row.Groups[3]) >= Value(row.Groups[2]), row.Value);
                    if (target == "single")
                    {
                        Assert.False(row.Groups[6].Success, row.Value);
                        continue;
                    }

                    // The added cost is the cluster's p50 minus the single node's at the same client count (each printed to 0.01 ms).
                    Match single = Match(output, $@"^query single clients {clients}: {Number} queries/s, p50 {Number} ms, p99 {Number} ms");
                    Assert.InRange(Value(row.Groups[6]) - (Value(row.Groups[2]) - Value(single.Groups[2])), -0.011, 0.011);
                    Assert.InRange(Value(row.Groups[7]) - (Value(row.Groups[3]) - Value(single.Groups[3])), -0.011, 0.011);
                }
            }

            Assert.Matches($@"(?m)^ingest cluster 2x2: .* applied on every replica {Number} docs/s", output);
            foreach (string layout in new[] { "1x1", "2x2" })
            {
                Match breakdown = Match(output, $@"^breakdown cluster {layout} clients 1 \(p50 ms\): client {Number} = router {Number} \(embedding {Number}, scatter-gather {Number}, resolve and the rest {Number}\) \+ client-router hop {Number}; replica of shard 0 asked directly: client {Number}, server {Number}; alias read from PostgreSQL alone {Number}$");
                Assert.True(Positive(breakdown.Groups[4]) && Positive(breakdown.Groups[7]) && Positive(breakdown.Groups[9]), breakdown.Value);
            }

            Match recovery = Match(output, $@"^recovery 300x16: ready in {Number} s = restore {Number} s \(read, verify, put in place; host start {Number} s\) \+ open {Number} s \(store and index, snapshot generation \d+, 0 changes replayed\) \+ catch-up {Number} s \((\d+) log rows applied in {Number} s\)$");
            Assert.InRange(Value(recovery.Groups[1]) - (Value(recovery.Groups[3]) + Value(recovery.Groups[4]) + Value(recovery.Groups[5])), -0.011, 0.011);
            // The snapshot holds the 300 written before it with their index (opened, not rebuilt or replayed); the new
            // replica applies only the 20 appended after it.
            Assert.Equal("20", recovery.Groups[6].Value);
            Assert.Matches(@"(?m)^recovery setup: 300 x 16 unit vectors written through the router in .* then 20 rows appended", output);

            await using NpgsqlCommand left = postgres.DataSource.CreateCommand("SELECT count(*) FROM pg_database WHERE datname LIKE 'krsbert_bench_%'");
            Assert.Equal(0L, (long)(await left.ExecuteScalarAsync().WaitAsync(TimeSpan.FromSeconds(30)))!);
        }
        finally
        {
            File.Delete(input);
        }
    }

    private static Match Match(string output, string pattern)
    {
        Match match = Regex.Match(output, pattern, RegexOptions.Multiline);
        Assert.True(match.Success, $"no line matches {pattern} in:\n{output}");
        return match;
    }

    private static double Value(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);

    private static bool Positive(Group group) => Value(group) > 0;
}
