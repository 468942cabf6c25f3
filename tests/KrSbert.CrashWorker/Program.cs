using KrSbert.CrashWorker;
using KrSbert.Search;
using KrSbert.Search.Collections;
using KrSbert.Search.Documents;
using KrSbert.Storage.Collections;

// Ingests in a loop until killed, printing "ack ID" once an upsert of ID has returned, and "deleting ID"
// before and "del ID" after a delete (a kill in between leaves that document's fate open). The crash test kills it at random moments and checks that every acknowledged change survived.
// Usage: KrSbert.CrashWorker DATA_DIR FIRST_ID SEED
string dataDirectory = args[0];
long nextId = long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var random = new Random(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));

await using SearchEngine engine = await SearchEngine.OpenAsync(new SearchEngineOptions { DataDirectory = dataDirectory, SnapshotEveryChanges = 40 }, embedder: null);
try
{
    await engine.CreateCollectionAsync(new CollectionDefinition { Name = CrashVectors.Collection, Dimension = CrashVectors.Dimension });
}
catch (CollectionExistsException)
{
    // A later round reuses the collection.
}

Console.Out.Flush();
Console.WriteLine("ready");
var live = new List<long>();
while (true)
{
    if (live.Count > 10 && random.Next(5) == 0)
    {
        long victim = live[random.Next(live.Count)];
        live.Remove(victim);
        Console.WriteLine($"deleting {victim}");
        await engine.DeleteAsync(CrashVectors.Collection, [victim.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Console.WriteLine($"del {victim}");
        continue;
    }

    var batch = Enumerable.Range(0, random.Next(1, 9)).Select(_ => nextId++).ToList();
    await engine.UpsertAsync(CrashVectors.Collection, batch.Select(id => new DocumentInput(id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, CrashVectors.For(id), new Dictionary<string, string> { ["round"] = args[2] })).ToList());
    live.AddRange(batch);
    foreach (long id in batch)
    {
        Console.WriteLine($"ack {id}");
    }
}
