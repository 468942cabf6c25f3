namespace KrSbert.Index;

/// <summary>
/// The scalar type the index stores each vector as. Queries and inserts are always <see cref="float"/>;
/// the index converts. The numeric values are written into snapshots and must not change.
/// </summary>
public enum VectorStorage
{
    /// <summary>32-bit floats: exact, 4 bytes a dimension.</summary>
    F32 = 0,

    /// <summary>IEEE half floats: 2 bytes a dimension; measured close to <see cref="F32"/> in recall and speed.</summary>
    F16 = 1,

    /// <summary>
    /// 8-bit integers after L2 normalisation: 1 byte a dimension, cosine only. Measured recall@10 0.89 where
    /// <see cref="F32"/> reached 0.998, so it is for memory-bound experiments, not the default.
    /// </summary>
    I8 = 2,
}
