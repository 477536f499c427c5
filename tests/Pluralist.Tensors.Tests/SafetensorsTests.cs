namespace Pluralist.Tensors.Tests;

public class SafetensorsTests
{
    [Theory]
    [InlineData(StoredType.F32)]
    [InlineData(StoredType.F16)]
    [InlineData(StoredType.BF16)]
    public void Round_trip_keeps_names_shapes_values_and_metadata(StoredType type)
    {
        var g = new Generator(9);
        var tensors = new Dictionary<string, Tensor> { ["a.weight"] = g.Normal(0, 1, 3, 4), ["b"] = g.Normal(0, 1, 5), ["empty"] = new Tensor([], 0, 2) };
        var path = Path.Combine(Path.GetTempPath(), $"pluralist-st-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, tensors, type, new Dictionary<string, string> { ["format"] = "pt" });
            var bytes = File.ReadAllBytes(path);
            ulong headerLen = BitConverter.ToUInt64(bytes, 0);
            Assert.Equal(0UL, (8 + headerLen) % 8);
            Assert.Equal('{', (char)bytes[8]);
            var (back, meta) = Safetensors.Load(path);
            Assert.Equal("pt", meta["format"]);
            Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
            double tol = type switch { StoredType.F32 => 0, StoredType.F16 => 1e-3, _ => 8e-3 };
            foreach (var (k, t) in tensors)
            {
                Assert.Equal(t.Shape, back[k].Shape);
                for (int i = 0; i < t.Numel; i++)
                {
                    Assert.True(Math.Abs(t.Data[i] - back[k].Data[i]) <= tol * Math.Max(1, Math.Abs(t.Data[i])));
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reads_files_written_by_the_pytorch_script_in_f32_f16_and_bf16()
    {
        var (golden, meta) = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "golden.safetensors"));
        Assert.Equal("tools/golden/make_golden.py", meta["script"]);
        Assert.Equal(new[] { 4, 3, 3, 3 }, golden["conv2d.x1"].Shape);
        var (half, _) = Safetensors.Load(Path.Combine(AppContext.BaseDirectory, "Golden", "half.safetensors"));
        Assert.Equal(new[] { 1f, -2.5f, 0.333251953125f, 65504f }, half["h"].Data);
        // bfloat16 of 1e20 rounds to 1.0000000200408773e20 (8 bits of mantissa).
        Assert.Equal(new[] { 1f, -2.5f, 3.140625f, Safetensors.FromBFloat16(Safetensors.ToBFloat16(1e20f)) }, half["b"].Data);
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even()
    {
        Assert.Equal(0x3F80, Safetensors.ToBFloat16(1f));
        Assert.Equal(0x3F80, Safetensors.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie -> even
        Assert.Equal(0x3F82, Safetensors.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie -> even (up)
        Assert.Equal(0x3F81, Safetensors.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3F808001)));
    }

    [Fact]
    public void Corrupt_headers_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Safetensors.Read(new byte[4]));
        var bad = new byte[16];
        BitConverter.TryWriteBytes(bad, 1000UL);
        Assert.Throws<ArgumentException>(() => Safetensors.Read(bad));
    }
}
