using System.Text.Json;

namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>Lines of ../shared/reference/kr-sbert-token-ids.jsonl: Hugging Face's ids for each text, no truncation.</summary>
public static class ReferenceTokenIds
{
    public const string RelativePath = "reference/kr-sbert-token-ids.jsonl";

    /// <summary>The file ends with this many adversarial lines (control characters, emoji, symbols, long words…).</summary>
    public const int AdversarialCount = 99;

    public static IReadOnlyList<(string Text, int[] Ids)> Load()
    {
        var lines = new List<(string, int[])>();
        foreach (string line in File.ReadLines(SharedFolder.PathOf(RelativePath)))
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            string text = json.RootElement.GetProperty("text").GetString()!;
            int[] ids = json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            lines.Add((text, ids));
        }

        return lines;
    }
}
