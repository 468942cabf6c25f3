using System.ComponentModel.DataAnnotations;
using KrSbert.Search.Documents;
using KrSbert.Storage;

namespace KrSbert.Search;

/// <summary>Where collections live and the limits and schedules of their indexes.</summary>
public sealed class SearchEngineOptions
{
    /// <summary>The data folder; the database is <c>krsbert.db</c> inside it.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Save an index snapshot after this many changes to a collection (and at shutdown).</summary>
    [Range(1, int.MaxValue)]
    public int SnapshotEveryChanges { get; set; } = 10_000;

    /// <summary>Rebuild an index in the background when removed entries exceed this share of it.</summary>
    [Range(0.01, 1.0)]
    public double RebuildRemovedShare { get; set; } = 0.2;

    /// <summary>Largest <c>top_k</c> a query may ask for.</summary>
    [Range(1, 10_000)]
    public int MaxTopK { get; set; } = 10_000;

    /// <summary>Most documents one upsert request may carry.</summary>
    [Range(1, 100_000)]
    public int MaxDocumentsPerRequest { get; set; } = 1_000;

    /// <summary>Sizes of ids, texts and metadata a stored document may have.</summary>
    public DocumentLimits DocumentLimits { get; set; } = new();
    /// <summary>When writes are acknowledged: after an fsync (the default; survives a power cut) or once handed to the OS.</summary>
    [EnumDataType(typeof(StoreDurability))]
    public StoreDurability Durability { get; set; } = StoreDurability.Fsync;

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(DataDirectory, "krsbert.db");

    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException(string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")));
        }

        DocumentLimits limits = DocumentLimits;
        foreach ((string name, int value) in new[]
        {
            (nameof(limits.MaxIdLength), limits.MaxIdLength),
            (nameof(limits.MaxTextLength), limits.MaxTextLength),
            (nameof(limits.MaxMetadataKeys), limits.MaxMetadataKeys),
            (nameof(limits.MaxMetadataKeyLength), limits.MaxMetadataKeyLength),
            (nameof(limits.MaxMetadataValueLength), limits.MaxMetadataValueLength),
            (nameof(limits.MaxMetadataBytes), limits.MaxMetadataBytes),
        })
        {
            if (value < 1)
            {
                throw new ArgumentException($"DocumentLimits.{name} is {value}; it must be at least 1.");
            }
        }

        if (limits.MaxIdLength > Storage.DocumentStore.MaxDocumentIdLength)
        {
            throw new ArgumentException($"DocumentLimits.MaxIdLength is {limits.MaxIdLength}; the store keeps ids of at most {Storage.DocumentStore.MaxDocumentIdLength} characters.");
        }
    }
}
