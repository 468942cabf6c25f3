namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>
/// The <c>../shared</c> folder beside the checkout (models, data, reference files). Users who clone the
/// project do not have it, so tests that need it skip with the reason; under CI (<c>CI</c> set) they run
/// and fail, so a missing folder can never pass as green.
/// </summary>
public static class SharedFolder
{
    private static readonly Lazy<string?> s_root = new(Find);

    public static string? Root => s_root.Value;

    public static bool IsRequired => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string SkipReason(string relativePath) =>
        $"needs ../shared/{relativePath} beside the checkout, which is absent here (it is present in CI, where this test runs)";

    public static bool Has(string relativePath) => Root is { } root && Path.Exists(Path.Combine(root, relativePath));

    public static string PathOf(string relativePath)
    {
        string? root = Root;
        string path = root is null ? Path.Combine("..", "shared", relativePath) : Path.Combine(root, relativePath);
        return Path.Exists(path)
            ? path
            : throw new InvalidOperationException($"../shared/{relativePath} is missing: CI must provide the shared folder beside the checkout.");
    }

    private static string? Find()
    {
        // The test runs from tests/<project>/bin/<config>/<tfm>; walk up to the checkout, then look beside it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KrSbert.sln")))
            {
                string shared = Path.Combine(dir.Parent?.FullName ?? dir.FullName, "shared");
                return Directory.Exists(shared) ? shared : null;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs a path under <c>../shared</c>: skipped with a reason when absent, except under CI.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(string relativePath)
    {
        if (!SharedFolder.Has(relativePath) && !SharedFolder.IsRequired)
        {
            Skip = SharedFolder.SkipReason(relativePath);
        }
    }
}

/// <summary>A fact that needs a real KR-SBERT export named by <c>KRSBERT_MODEL_DIR</c>.</summary>
public sealed class RealKrSbertFactAttribute : FactAttribute
{
    public const string Variable = "KRSBERT_MODEL_DIR";

    public RealKrSbertFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Skip = $"needs {Variable} naming an ONNX export of snunlp/KR-SBERT-V40K-klueNLI-augSTS (deploy/export_model.py makes one); its weights cannot be downloaded here";
        }
    }
}

/// <summary>A theory that needs a path under <c>../shared</c>: skipped with a reason when absent, except under CI.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute(string relativePath)
    {
        if (!SharedFolder.Has(relativePath) && !SharedFolder.IsRequired)
        {
            Skip = SharedFolder.SkipReason(relativePath);
        }
    }
}
