using System.CommandLine;
using KrSbert.Cli.Commands;
using KrSbert.Cli.Commands.Soak;

var root = new RootCommand("krsbert: Korean sentence embeddings (KR-SBERT) on ONNX Runtime")
{
    TokenizeCommand.Create(),
    EmbedCommand.Create(),
    new Command("bench", "Measure throughput") { BenchEmbedCommand.Create(), BenchIndexCommand.Create(), BenchServerCommand.Create(), BenchOpenCommand.Create(), BenchDurabilityCommand.Create(), BenchBackupCommand.Create(), BenchLexicalCommand.Create(), BenchClusterCommand.Create(), BenchSoakCommand.Create(), SoakWorkerCommand.Create() },
    new Command("model", "Work with model folders") { ModelVerifyCommand.Create() },
    RebuildCommand.Create(),
    BackupCommand.Create(),
    RestoreCommand.Create(),
    ServeCommand.Create(),
    CollectionsCommand.Create(),
    IngestCommand.Create(),
    QueryCommand.Create(),
    ProbeCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
