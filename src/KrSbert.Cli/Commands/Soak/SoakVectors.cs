namespace KrSbert.Cli.Commands.Soak;

/// <summary>The vector each soak document id gets, so a checker can recompute it after a kill.</summary>
internal static class SoakVectors
{
    public const int Dimension = 16;
    public const string Collection = "soak";

    public static float[] For(long id)
    {
        var random = new Random(unchecked((int)(id * 2654435761L)));
        var vector = new float[Dimension];
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }
}
