using System.Text;

namespace KrSbert.Embedding.Tests.TestSupport;

/// <summary>
/// The tiny random model with a BERT pooler head added as a second graph output <c>pooler_output</c> =
/// tanh(CLS·W + b), as deploy/export_model.py exports it. Protobuf merges a repeated message field written
/// twice, so the head is appended to the original bytes as a second <c>ModelProto.graph</c> holding only the
/// new nodes, weights and output; W and b are known, so tests can compute the expected output.
/// </summary>
public sealed class PoolerModelFolder : IDisposable
{
    public PoolerModelFolder(int seed = 3)
    {
        string source = SharedFolder.PathOf(TestModels.TinyRandomFolder);
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "krsbert-pooler-" + Guid.NewGuid().ToString("N"));
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = System.IO.Path.Combine(Path, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }

        var random = new Random(seed);
        Hidden = 32;
        Weights = Enumerable.Range(0, Hidden * Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        Bias = Enumerable.Range(0, Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        byte[] head = Message(7, Graph());
        using var stream = new FileStream(System.IO.Path.Combine(Path, "model.onnx"), FileMode.Append);
        stream.Write(head);
    }

    public string Path { get; }

    public int Hidden { get; }

    /// <summary>W, row-major [hidden in, hidden out].</summary>
    public float[] Weights { get; }

    public float[] Bias { get; }

    /// <summary>tanh(cls·W + b).</summary>
    public float[] Expected(ReadOnlySpan<float> cls)
    {
        var result = new float[Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            double sum = Bias[j];
            for (int i = 0; i < Hidden; i++)
            {
                sum += cls[i] * Weights[(i * Hidden) + j];
            }

            result[j] = (float)Math.Tanh(sum);
        }

        return result;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);

    private byte[] Graph()
    {
        var graph = new List<byte>();
        graph.AddRange(Message(1, Node("pooler_gather", "Gather", ["last_hidden_state", "pooler_cls_index"], "pooler_cls", Attribute("axis", 1))));
        graph.AddRange(Message(1, Node("pooler_matmul", "MatMul", ["pooler_cls", "pooler_dense_weight"], "pooler_matmul_out", null)));
        graph.AddRange(Message(1, Node("pooler_add", "Add", ["pooler_matmul_out", "pooler_dense_bias"], "pooler_pre", null)));
        graph.AddRange(Message(1, Node("pooler_tanh", "Tanh", ["pooler_pre"], "pooler_output", null)));
        graph.AddRange(Message(5, Tensor("pooler_cls_index", [], 7, BitConverter.GetBytes(0L))));
        graph.AddRange(Message(5, Tensor("pooler_dense_weight", [Hidden, Hidden], 1, Floats(Weights))));
        graph.AddRange(Message(5, Tensor("pooler_dense_bias", [Hidden], 1, Floats(Bias))));
        // ValueInfo: pooler_output, float32 [batch, hidden].
        byte[] shape = [.. Message(1, Message(2, Encoding.UTF8.GetBytes("batch"))), .. Message(1, Varint(1, Hidden))];
        byte[] tensorType = [.. Varint(1, 1), .. Message(2, shape)];
        byte[] valueInfo = [.. Message(1, Encoding.UTF8.GetBytes("pooler_output")), .. Message(2, Message(1, tensorType))];
        graph.AddRange(Message(12, valueInfo));
        return [.. graph];
    }

    private static byte[] Node(string name, string op, string[] inputs, string output, byte[]? attribute)
    {
        var node = new List<byte>();
        foreach (string input in inputs)
        {
            node.AddRange(Message(1, Encoding.UTF8.GetBytes(input)));
        }

        node.AddRange(Message(2, Encoding.UTF8.GetBytes(output)));
        node.AddRange(Message(3, Encoding.UTF8.GetBytes(name)));
        node.AddRange(Message(4, Encoding.UTF8.GetBytes(op)));
        if (attribute is not null)
        {
            node.AddRange(Message(5, attribute));
        }

        return [.. node];
    }

    // AttributeProto: name = 1, i = 3, type = 20 (INT = 2).
    private static byte[] Attribute(string name, long value) =>
        [.. Message(1, Encoding.UTF8.GetBytes(name)), .. Varint(3, value), .. Varint(20, 2)];

    // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian).
    private static byte[] Tensor(string name, long[] dims, int dataType, byte[] raw)
    {
        var tensor = new List<byte>();
        foreach (long d in dims)
        {
            tensor.AddRange(Varint(1, d));
        }

        tensor.AddRange(Varint(2, dataType));
        tensor.AddRange(Message(8, Encoding.UTF8.GetBytes(name)));
        tensor.AddRange(Message(9, raw));
        return [.. tensor];
    }

    private static byte[] Floats(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private static byte[] Message(int field, byte[] payload) => [.. RawVarint((ulong)((field << 3) | 2)), .. RawVarint((ulong)payload.Length), .. payload];

    private static byte[] Varint(int field, long value) => [.. RawVarint((ulong)(field << 3)), .. RawVarint((ulong)value)];

    private static byte[] RawVarint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
        return [.. bytes];
    }
}
