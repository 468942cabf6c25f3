using System.Globalization;

namespace KrSbert.Cli.Tests;

public class BenchLexicalCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Bench_lexical_scores_paraphrase_retrieval_and_the_engine_index_agrees_with_the_bench_scorer()
    {
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-korsts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            const string header = "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n";
            // Three paraphrase queries (score >= 4, sentences differ); the identical pair and the low-scored one are not queries.
            await File.WriteAllTextAsync(Path.Combine(folder, "sts-train.tsv"), header +
                "g\tf\ty\t1\t4.5\t경찰이 사건을 조사한다\t경찰은 사건과 관련된 조사를 했다\n" +
                "g\tf\ty\t2\t5.0\t아이가 공원에서 논다\t아이는 공원에서 놀고 있다\n" +
                "g\tf\ty\t3\t5.0\t비행기가 이륙한다\t비행기가 이륙한다\n" +
                "g\tf\ty\t4\t1.0\t고양이가 잔다\t남자가 기타를 친다\n");
            await File.WriteAllTextAsync(Path.Combine(folder, "sts-dev.tsv"), header +
                "g\tf\ty\t5\t4.2\t회원 탈퇴 방법\t회원 탈퇴는 설정에서 한다\n");

            var result = await KrSbertProcess.RunAsync(null, "bench", "lexical", "--data", folder).WaitAsync(Timeout);

            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("3 queries over 5 documents", result.Output, StringComparison.Ordinal);
            double Mrr(string unit) => double.Parse(result.Output.Split('\n').Single(l => l.StartsWith(unit, StringComparison.Ordinal))[34..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            Assert.Equal(1.0, Mrr("unigrams + bigrams (engine index)"));
            Assert.Equal(Mrr("unigrams + bigrams (bench scorer)"), Mrr("unigrams + bigrams (engine index)"));
            Assert.InRange(Mrr("whitespace"), 0.0, 1.0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Bench_lexical_shards_reports_per_shard_bm25_merged_and_one_shard_equals_the_engine_index()
    {
        string folder = Path.Combine(Path.GetTempPath(), "krsbert-korsts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            const string header = "genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n";
            string[] rows =
            [
                "경찰이 사건을 조사한다\t경찰은 사건과 관련된 조사를 했다",
                "아이가 공원에서 논다\t아이는 공원에서 놀고 있다",
                "회원 탈퇴 방법\t회원 탈퇴는 설정에서 한다",
                "남자가 기타를 친다\t한 남자가 기타를 연주하고 있다",
                "고양이가 소파에서 잔다\t고양이 한 마리가 소파 위에서 자고 있다",
                "비행기가 공항에서 이륙한다\t공항에서 비행기가 이륙하고 있다",
            ];
            await File.WriteAllTextAsync(Path.Combine(folder, "sts-train.tsv"), header + string.Concat(rows.Select((r, i) => $"g\tf\ty\t{i}\t4.5\t{r}\n")));
            await File.WriteAllTextAsync(Path.Combine(folder, "sts-dev.tsv"), header);

            var one = await KrSbertProcess.RunAsync(null, "bench", "lexical", "--data", folder, "--shards", "1").WaitAsync(Timeout);
            var two = await KrSbertProcess.RunAsync(null, "bench", "lexical", "--data", folder, "--shards", "2").WaitAsync(Timeout);
            var bad = await KrSbertProcess.RunAsync(null, "bench", "lexical", "--data", folder, "--shards", "-1").WaitAsync(Timeout);

            Assert.True(one.ExitCode == 0, one.Error);
            Assert.True(two.ExitCode == 0, two.Error);
            static double Mrr(string output, string unit) => double.Parse(output.Split('\n').Single(l => l.StartsWith(unit, StringComparison.Ordinal))[34..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            // One shard holds every document, so its statistics are the collection's: the same ranking as the engine index.
            Assert.Equal(Mrr(one.Output, "unigrams + bigrams (engine index)"), Mrr(one.Output, "engine, 1 shards, own BM25 stats"));
            Assert.InRange(Mrr(two.Output, "engine, 2 shards, own BM25 stats"), 0.0, 1.0);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("--shards is -1", bad.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
