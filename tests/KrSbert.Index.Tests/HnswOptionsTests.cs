namespace KrSbert.Index.Tests;

public class HnswOptionsTests
{
    [Fact]
    public void Defaults_are_cosine_f32_m16_ef_construction_200_ef_search_64()
    {
        var options = new HnswOptions { Dimensions = 768 };

        Assert.Equal(VectorMetric.Cosine, options.Metric);
        Assert.Equal(VectorStorage.F32, options.Storage);
        Assert.Equal(16, options.M);
        Assert.Equal(200, options.EfConstruction);
        Assert.Equal(64, options.EfSearch);
        options.Validate();
    }

    [Theory]
    [InlineData(nameof(HnswOptions.Dimensions), 0)]
    [InlineData(nameof(HnswOptions.Dimensions), 65537)]
    [InlineData(nameof(HnswOptions.M), 1)]
    [InlineData(nameof(HnswOptions.M), 513)]
    [InlineData(nameof(HnswOptions.EfConstruction), 0)]
    [InlineData(nameof(HnswOptions.EfConstruction), 10001)]
    [InlineData(nameof(HnswOptions.EfSearch), 0)]
    [InlineData(nameof(HnswOptions.EfSearch), 10001)]
    public void Validate_names_the_field_that_is_out_of_range(string field, int value)
    {
        var options = new HnswOptions { Dimensions = 8 };
        options = field switch
        {
            nameof(HnswOptions.Dimensions) => options with { Dimensions = value },
            nameof(HnswOptions.M) => options with { M = value },
            nameof(HnswOptions.EfConstruction) => options with { EfConstruction = value },
            _ => options with { EfSearch = value },
        };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(field, e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => HnswIndex.Create(options));
    }

    [Theory]
    [InlineData(1, 2, 1, 1)]
    [InlineData(65536, 512, 10000, 10000)]
    public void Validate_accepts_the_bounds(int dimensions, int m, int efConstruction, int efSearch) =>
        new HnswOptions { Dimensions = dimensions, M = m, EfConstruction = efConstruction, EfSearch = efSearch }.Validate();

    [Theory]
    [InlineData(VectorMetric.InnerProduct)]
    [InlineData(VectorMetric.L2)]
    public void I8_storage_is_refused_for_metrics_other_than_cosine(VectorMetric metric)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(new HnswOptions { Dimensions = 8, Metric = metric, Storage = VectorStorage.I8 }.Validate);

        Assert.Equal(nameof(HnswOptions.Storage), e.ParamName);
    }

    [Fact]
    public void Undefined_enum_values_are_refused()
    {
        Assert.Equal(nameof(HnswOptions.Metric), Assert.Throws<ArgumentOutOfRangeException>(new HnswOptions { Dimensions = 8, Metric = (VectorMetric)7 }.Validate).ParamName);
        Assert.Equal(nameof(HnswOptions.Storage), Assert.Throws<ArgumentOutOfRangeException>(new HnswOptions { Dimensions = 8, Storage = (VectorStorage)7 }.Validate).ParamName);
    }
}
