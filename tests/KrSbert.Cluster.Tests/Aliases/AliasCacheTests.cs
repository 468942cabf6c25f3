using KrSbert.Cluster.Aliases;
using KrSbert.Storage.Collections;
using Npgsql;

namespace KrSbert.Cluster.Tests.Aliases;

/// <summary>The router's alias copy: reads answer from it, names it lacks are read through, and it outlives PostgreSQL going away.</summary>
public sealed class AliasCacheTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A stand-in for <c>krs_alias</c>: what a read returns now, or that PostgreSQL is down; counts the reads.</summary>
    private sealed class AliasSource
    {
        public List<CollectionVersion> Serving { get; } = [];

        public bool Down { get; set; }

        public int Reads { get; private set; }

        public Task<AliasTable> ReadAsync(CancellationToken cancellationToken)
        {
            Reads++;
            return Down ? Task.FromException<AliasTable>(new NpgsqlException("connection refused")) : Task.FromResult(new AliasTable([.. Serving]));
        }
    }

    [Fact]
    public async Task A_collection_in_the_copy_resolves_without_a_read_and_one_created_after_the_copy_was_filled_is_read_through()
    {
        var source = new AliasSource { Serving = { new("docs", 1, 2) } };
        var cache = new AliasCache(source.ReadAsync);
        await cache.RefreshAsync(CancellationToken.None).WaitAsync(Timeout);

        CollectionVersion docs = await cache.ResolveAsync("docs", 0, CancellationToken.None).WaitAsync(Timeout);
        int readsAfterCached = source.Reads;
        source.Serving.Add(new("news", 1, 3));
        CollectionVersion news = await cache.ResolveAsync("news", 0, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal((1L, 2), (docs.Version, docs.Shards.ShardCount));
        Assert.Equal(1, readsAfterCached);
        Assert.Equal(("news", 3), (news.Collection, news.Shards.ShardCount));
        Assert.Equal(2, source.Reads);
        Assert.NotNull(cache.Last!.Find("news"));
    }

    [Fact]
    public async Task A_version_older_than_the_read_needs_is_read_through_so_a_token_from_after_a_flip_finds_the_new_version()
    {
        var source = new AliasSource { Serving = { new("docs", 1, 2) } };
        var cache = new AliasCache(source.ReadAsync);
        await cache.RefreshAsync(CancellationToken.None).WaitAsync(Timeout);
        source.Serving[0] = new("docs", 2, 3);

        CollectionVersion stale = await cache.ResolveAsync("docs", 1, CancellationToken.None).WaitAsync(Timeout);
        CollectionVersion flipped = await cache.ResolveAsync("docs", 2, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal((1L, 2L), (stale.Version, flipped.Version));
    }

    [Fact]
    public async Task With_postgres_down_the_last_table_answers_for_its_collections_and_anything_else_is_the_postgres_error()
    {
        var source = new AliasSource { Serving = { new("docs", 1, 2) } };
        var cache = new AliasCache(source.ReadAsync);
        await cache.RefreshAsync(CancellationToken.None).WaitAsync(Timeout);
        source.Down = true;

        await Assert.ThrowsAsync<NpgsqlException>(() => cache.RefreshAsync(CancellationToken.None)).WaitAsync(Timeout);
        CollectionVersion docs = await cache.ResolveAsync("docs", 0, CancellationToken.None).WaitAsync(Timeout);
        AliasTable listed = await cache.TableAsync(CancellationToken.None).WaitAsync(Timeout);
        await Assert.ThrowsAsync<NpgsqlException>(() => cache.ResolveAsync("news", 0, CancellationToken.None)).WaitAsync(Timeout);
        await Assert.ThrowsAsync<NpgsqlException>(() => cache.ResolveAsync("docs", 2, CancellationToken.None)).WaitAsync(Timeout);

        Assert.Equal("docs__v1", docs.StoreName);
        Assert.Equal(["docs"], listed.Collections);
    }

    [Fact]
    public async Task Before_any_read_succeeded_a_read_is_the_postgres_error_and_a_name_no_alias_has_is_not_found()
    {
        var source = new AliasSource { Down = true };
        var cache = new AliasCache(source.ReadAsync);

        await Assert.ThrowsAsync<NpgsqlException>(() => cache.ResolveAsync("docs", 0, CancellationToken.None)).WaitAsync(Timeout);
        await Assert.ThrowsAsync<NpgsqlException>(() => cache.TableAsync(CancellationToken.None)).WaitAsync(Timeout);
        source.Down = false;
        await Assert.ThrowsAsync<CollectionNotFoundException>(() => cache.ResolveAsync("docs", 0, CancellationToken.None)).WaitAsync(Timeout);
        Assert.Null(cache.Last!.Find("docs"));
    }

    [Fact]
    public async Task A_read_that_finishes_after_a_later_one_does_not_replace_the_later_table()
    {
        var first = new TaskCompletionSource<AliasTable>();
        var second = new TaskCompletionSource<AliasTable>();
        var reads = new Queue<TaskCompletionSource<AliasTable>>([first, second]);
        var cache = new AliasCache(_ => reads.Dequeue().Task);

        Task<AliasTable> early = cache.RefreshAsync(CancellationToken.None);
        Task<AliasTable> late = cache.RefreshAsync(CancellationToken.None);
        second.SetResult(new AliasTable([new CollectionVersion("docs", 2, 2)]));
        await late.WaitAsync(Timeout);
        first.SetResult(new AliasTable([new CollectionVersion("docs", 1, 2)]));
        await early.WaitAsync(Timeout);

        Assert.Equal(2, cache.Last!.Resolve("docs").Version);
    }
}
