using LiteDB;

namespace KrSbert.Search.Tests;

/// <summary>Copies and damages data folders the way a crash, a disk or an older version can leave them.</summary>
public static class DataFolderDamage
{
    /// <summary>Copies a data folder (the lock file aside), for example while its server still runs.</summary>
    public static void CopyDatabase(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            if (!file.EndsWith(".lock", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }
    }

    /// <summary>Makes change <paramref name="sequence"/> of a collection unreadable, so replaying it fails.</summary>
    public static void DamageChange(string dataDirectory, string collection, long sequence) =>
        Update(dataDirectory, collection, "changes", sequence, record => record["prev"] = "damaged");

    /// <summary>Makes a document record unreadable and drops every snapshot, so the collection cannot be loaded at all.</summary>
    public static void DamageDocument(string dataDirectory, string collection, string id)
    {
        Update(dataDirectory, collection, "docs", id, record => record["chunks"] = "damaged");
        using LiteDatabase db = Open(dataDirectory);
        db.GetCollection("snapshots").DeleteAll();
    }

    private static void Update(string dataDirectory, string collection, string kind, BsonValue id, Action<BsonDocument> damage)
    {
        using LiteDatabase db = Open(dataDirectory);
        int number = db.GetCollection("collections").FindById(collection)["number"].AsInt32;
        ILiteCollection<BsonDocument> records = db.GetCollection($"{kind}_{number}");
        BsonDocument record = records.FindById(id);
        damage(record);
        records.Update(record);
    }

    private static LiteDatabase Open(string dataDirectory) =>
        new(new ConnectionString { Filename = Path.Combine(dataDirectory, "krsbert.db"), Connection = ConnectionType.Direct });
}
