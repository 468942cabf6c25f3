using KrSbert.Embedding.Models;
using KrSbert.Embedding.Tokenization;

namespace KrSbert.Benchmarks;

/// <summary>KR-SBERT's tokenizer from ../shared when present, else the embedded model's.</summary>
internal static class BenchmarkModel
{
    public static WordPieceTokenizer Tokenizer()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string folder = Path.Combine(dir.FullName, "shared", "models", "kr-sbert-v40k");
            if (Directory.Exists(folder))
            {
                SentenceModelDefinition model = ModelFolder.Read(folder);
                using Stream vocabulary = model.OpenVocabulary();
                return WordPieceTokenizer.Create(vocabulary, model.Tokenizer);
            }
        }

        using Stream embedded = EmbeddedModel.Definition.OpenVocabulary();
        return WordPieceTokenizer.Create(embedded, EmbeddedModel.Definition.Tokenizer);
    }
}
