namespace KrSbert.Embedding.Models;

/// <summary>A model folder is missing a file or declares something inconsistent; names the file and the field.</summary>
public sealed class ModelFolderException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> (and <paramref name="field"/>, when one field is at fault).</summary>
    public ModelFolderException(string file, string? field, string problem, Exception? inner = null)
        : base(Describe(file, field, problem), inner)
    {
        File = file;
        Field = field;
    }

    /// <summary>The file at fault, relative to the model folder where possible.</summary>
    public string File { get; }

    /// <summary>The field at fault, or null when the file as a whole is.</summary>
    public string? Field { get; }

    private static string Describe(string file, string? field, string problem) =>
        field is null ? $"{file}: {problem}" : $"{file}, field '{field}': {problem}";
}
