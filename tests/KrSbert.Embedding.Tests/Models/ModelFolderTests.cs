using KrSbert.Embedding.Models;
using KrSbert.Embedding.Pooling;
using KrSbert.Embedding.Tests.TestSupport;

namespace KrSbert.Embedding.Tests.Models;

public sealed class ModelFolderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "krsbert-model-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void Kr_sbert_folder_without_weights_reads_as_a_cased_128_token_mean_pooling_tokenizer()
    {
        var model = ModelFolder.Read(SharedFolder.PathOf(TestModels.KrSbertFolder));

        Assert.Equal(768, model.Dimension);
        Assert.Equal(128, model.Tokenizer.MaxSequenceLength);
        Assert.False(model.Tokenizer.Normalizer.Lowercase);
        Assert.False(model.Tokenizer.Normalizer.StripAccents);
        Assert.Equal(PoolingMode.Mean, model.Pooling);
        Assert.False(model.Normalize);
        Assert.Null(model.Onnx);
    }

    [SharedFact(TestModels.KrSbertFolder)]
    public void A_folder_without_model_onnx_tokenizes_but_refuses_to_embed()
    {
        using var embedder = SentenceEmbedder.LoadFolder(SharedFolder.PathOf(TestModels.KrSbertFolder));

        Assert.False(embedder.CanEmbed);
        Assert.Equal(10, embedder.Tokenize("안녕하세요. 저는 진학사에 다니고 있습니다.").InputIds.Count);
        var error = Assert.Throws<InvalidOperationException>(() => embedder.Embed(["안녕하세요"]));
        Assert.Contains("model.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var error = Assert.Throws<ModelFolderException>(() => ModelFolder.Read(_folder));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [SharedTheory(TestModels.TinyRandomFolder)]
    [InlineData("modules.json", null)]
    [InlineData("vocab.txt", null)]
    [InlineData("sentence_bert_config.json", null)]
    [InlineData("config.json", null)]
    [InlineData("1_Pooling/config.json", null)]
    public void A_half_missing_folder_names_the_missing_file(string missing, string? field)
    {
        CopyTinyModel();
        File.Delete(Path.Combine(_folder, missing));

        var error = Assert.Throws<ModelFolderException>(() => ModelFolder.Read(_folder));

        Assert.Equal(missing, error.File);
        Assert.Equal(field, error.Field);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [SharedTheory(TestModels.TinyRandomFolder)]
    [InlineData("1_Pooling/config.json", "\"word_embedding_dimension\": 32", "\"word_embedding_dimension\": 64", "word_embedding_dimension")]
    [InlineData("sentence_bert_config.json", "128", "1024", "max_seq_length")]
    [InlineData("config.json", "\"hidden_size\": 32", "\"hidden_size\": \"wide\"", "hidden_size")]
    [InlineData("config.json", "\"model_type\": \"bert\"", "\"model_type\": \"roberta\"", "model_type")]
    [InlineData("modules.json", "sentence_transformers.models.Pooling", "sentence_transformers.models.Dense", "type")]
    public void An_inconsistent_field_is_named(string file, string find, string replace, string field)
    {
        CopyTinyModel();
        string path = Path.Combine(_folder, file);
        string text = File.ReadAllText(path);
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(find, replace, StringComparison.Ordinal));

        var error = Assert.Throws<ModelFolderException>(() => ModelFolder.Read(_folder));

        Assert.Equal(file, error.File);
        Assert.Equal(field, error.Field);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void Invalid_json_names_the_file()
    {
        CopyTinyModel();
        File.WriteAllText(Path.Combine(_folder, "config.json"), "{ not json");

        var error = Assert.Throws<ModelFolderException>(() => ModelFolder.Read(_folder));

        Assert.Equal("config.json", error.File);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void A_corrupt_model_onnx_is_an_error_naming_it()
    {
        CopyTinyModel();
        File.WriteAllBytes(Path.Combine(_folder, "model.onnx"), [1, 2, 3, 4]);

        var error = Assert.Throws<ModelFolderException>(() => SentenceEmbedder.LoadFolder(_folder));

        Assert.Equal("model.onnx", error.File);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void An_onnx_graph_whose_hidden_size_disagrees_with_the_config_is_refused()
    {
        CopyTinyModel();
        File.Copy(SharedFolder.PathOf(TestModels.TinyRandomFolder) + "/model.onnx", Path.Combine(_folder, "model.onnx"), overwrite: true);
        foreach ((string file, string find, string replace) in new[]
        {
            ("config.json", "\"hidden_size\": 32", "\"hidden_size\": 64"),
            ("1_Pooling/config.json", "\"word_embedding_dimension\": 32", "\"word_embedding_dimension\": 64"),
        })
        {
            string path = Path.Combine(_folder, file);
            File.WriteAllText(path, File.ReadAllText(path).Replace(find, replace, StringComparison.Ordinal));
        }

        var error = Assert.Throws<ModelFolderException>(() => SentenceEmbedder.LoadFolder(_folder));

        Assert.Equal("model.onnx", error.File);
        Assert.Equal("last_hidden_state", error.Field);
    }

    [SharedFact(TestModels.TinyRandomFolder)]
    public void Model_onnx_in_an_onnx_subfolder_is_found()
    {
        CopyTinyModel();
        Directory.CreateDirectory(Path.Combine(_folder, "onnx"));
        File.Move(Path.Combine(_folder, "model.onnx"), Path.Combine(_folder, "onnx", "model.onnx"));

        var model = ModelFolder.Read(_folder);

        Assert.EndsWith(Path.Combine("onnx", "model.onnx"), model.Onnx!.ToString(), StringComparison.Ordinal);
    }

    private void CopyTinyModel()
    {
        string source = SharedFolder.PathOf(TestModels.TinyRandomFolder);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(_folder, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
