using System.Text;
using KrSbert.Index;

namespace KrSbert.Search.Documents;

/// <summary>
/// The one set of rules a document meets before anything is written: id, text and metadata sizes, and every
/// vector by <see cref="VectorRules"/> for the collection's dimension and metric. A document that passes is
/// never refused later by the store or the index.
/// </summary>
internal sealed class DocumentRules(DocumentLimits limits)
{
    public DocumentLimits Limits { get; } = limits;

    /// <summary>The first problem with the document's id, stored text or metadata, or null.</summary>
    public DocumentFailure? CheckFields(int index, string id, DocumentInput input)
    {
        if (id.Length == 0)
        {
            return new DocumentFailure(index, id, "id", "is empty");
        }

        if (id.Length > Limits.MaxIdLength)
        {
            return new DocumentFailure(index, Shorten(id), "id", $"has {id.Length} characters; the limit is {Limits.MaxIdLength}", Limits.MaxIdLength);
        }

        if (input.Text is { } text && text.Length > Limits.MaxTextLength)
        {
            return new DocumentFailure(index, id, "text", $"has {text.Length} characters; the limit is {Limits.MaxTextLength}", Limits.MaxTextLength);
        }

        return input.Metadata is { Count: > 0 } metadata ? CheckMetadata(index, id, metadata) : null;
    }

    /// <summary>Why a vector cannot be stored in a collection whose index has <paramref name="shape"/>, naming <paramref name="field"/>, or null.</summary>
    public static DocumentFailure? CheckVector(int index, string id, string field, ReadOnlySpan<float> vector, HnswOptions shape) =>
        VectorRules.Violation(vector, shape.Dimensions, shape.Metric, shape.Storage) is { } violation
            ? new DocumentFailure(index, id, field, violation)
            : null;

    private DocumentFailure? CheckMetadata(int index, string id, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.Count > Limits.MaxMetadataKeys)
        {
            return new DocumentFailure(index, id, "metadata", $"has {metadata.Count} keys; the limit is {Limits.MaxMetadataKeys}", Limits.MaxMetadataKeys);
        }

        long bytes = 0;
        foreach ((string key, string value) in metadata)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                return new DocumentFailure(index, id, "metadata", "has an empty key");
            }

            if (key.Contains('\0', StringComparison.Ordinal))
            {
                return new DocumentFailure(index, id, "metadata", $"key '{Shorten(key.Replace('\0', '?'))}' holds a NUL character");
            }

            if (key.Length > Limits.MaxMetadataKeyLength)
            {
                return new DocumentFailure(index, id, "metadata", $"key '{Shorten(key)}' has {key.Length} characters; the limit is {Limits.MaxMetadataKeyLength}", Limits.MaxMetadataKeyLength);
            }

            if (value is null)
            {
                return new DocumentFailure(index, id, "metadata", $"key '{key}' has no value");
            }

            if (value.Length > Limits.MaxMetadataValueLength)
            {
                return new DocumentFailure(index, id, "metadata", $"value of '{key}' has {value.Length} characters; the limit is {Limits.MaxMetadataValueLength}", Limits.MaxMetadataValueLength);
            }

            bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        return bytes > Limits.MaxMetadataBytes
            ? new DocumentFailure(index, id, "metadata", $"has {bytes} bytes of keys and values; the limit is {Limits.MaxMetadataBytes}", Limits.MaxMetadataBytes)
            : null;
    }

    /// <summary>A long id or key as a message shows it.</summary>
    private static string Shorten(string text) => text.Length <= 32 ? text : text[..32] + "…";
}
