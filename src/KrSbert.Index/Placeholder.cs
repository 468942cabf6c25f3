namespace KrSbert.Index;
