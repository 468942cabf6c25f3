using System.Text.Json;

namespace KrSbert.Embedding.Models;

/// <summary>Reads one JSON file of a model folder, with errors that name the file and the field.</summary>
internal sealed class JsonFile : IDisposable
{
    private readonly JsonDocument _document;

    private JsonFile(string displayName, JsonDocument document)
    {
        DisplayName = displayName;
        _document = document;
    }

    public string DisplayName { get; }

    public JsonElement Root => _document.RootElement;

    public static JsonFile? TryOpen(string path, string displayName)
    {
        if (!System.IO.File.Exists(path))
        {
            return null;
        }

        try
        {
            using FileStream stream = System.IO.File.OpenRead(path);
            return new JsonFile(displayName, JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }));
        }
        catch (JsonException e)
        {
            throw new ModelFolderException(displayName, null, $"is not valid JSON ({e.Message})", e);
        }
    }

    public static JsonFile Open(string path, string displayName) =>
        TryOpen(path, displayName) ?? throw new ModelFolderException(displayName, null, "is missing");

    public int RequireInt(string field) => OptionalInt(field)
        ?? throw new ModelFolderException(DisplayName, field, "is missing");

    public int? OptionalInt(string field)
    {
        if (!Root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw new ModelFolderException(DisplayName, field, $"must be a whole number, found {value.GetRawText()}");
    }

    public bool? OptionalBool(string field)
    {
        if (!Root.TryGetProperty(field, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelFolderException(DisplayName, field, $"must be true or false, found {value.GetRawText()}"),
        };
    }

    public string? OptionalString(string field) =>
        Root.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public void Dispose() => _document.Dispose();
}
