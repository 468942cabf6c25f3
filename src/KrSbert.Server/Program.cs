using KrSbert.Server;

// dotnet run --project src/KrSbert.Server [-- --data ./data --model ./models/kr-sbert --listen 127.0.0.1:50051]
WebApplication app = KrSbertServer.Build(args);
await app.RunAsync();
