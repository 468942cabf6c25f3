using System.Reflection;
using LiteDB;

namespace KrSbert.Storage.Files;

/// <summary>
/// LiteDB 5.0.21 keeps a transaction whose commit failed part way (a write to the log failed) in its open list;
/// closing the database tries to discard its pages, fails its own consistency check, and leaves the transaction
/// with a finalizer that fails the same check on the finalizer thread, which ends the process. Before a broken
/// instance is closed its open transactions are collected here, and afterwards their finalizers are suppressed:
/// the instance and everything it cached are thrown away, so there is nothing left for them to release.
/// LiteDB exposes no way to reach them, hence reflection; a test pins the fields for the LiteDB version in use.
/// </summary>
internal static class BrokenTransactions
{
    private static readonly FieldInfo? s_engine = typeof(LiteDatabase).GetField("_engine", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>The transactions <paramref name="database"/> holds open; empty when LiteDB's internals are not the expected ones.</summary>
    public static IReadOnlyList<object> Collect(LiteDatabase database)
    {
        object? engine = s_engine?.GetValue(database);
        object? monitor = engine?.GetType().GetField("_monitor", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(engine);
        object? transactions = monitor?.GetType().GetField("_transactions", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(monitor);
        return transactions is System.Collections.IDictionary open ? open.Values.Cast<object>().ToList() : [];
    }

    /// <summary>Keeps the finalizers of <paramref name="transactions"/> from running.</summary>
    public static void Forget(IReadOnlyList<object> transactions)
    {
        foreach (object transaction in transactions)
        {
#pragma warning disable CA1816 // The finalizer belongs to LiteDB's transaction, which cannot dispose itself once broken.
            GC.SuppressFinalize(transaction);
#pragma warning restore CA1816
        }
    }
}
