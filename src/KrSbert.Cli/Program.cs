using System.CommandLine;
using KrSbert.Cli.Commands;

var root = new RootCommand("krsbert: Korean sentence embeddings (KR-SBERT) on ONNX Runtime")
{
    TokenizeCommand.Create(),
    EmbedCommand.Create(),
    new Command("bench", "Measure throughput") { BenchEmbedCommand.Create(), BenchIndexCommand.Create() },
    new Command("model", "Work with model folders") { ModelVerifyCommand.Create() },
    RebuildCommand.Create(),
    ServeCommand.Create(),
    CollectionsCommand.Create(),
    IngestCommand.Create(),
    QueryCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
