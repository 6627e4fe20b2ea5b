namespace Celeriac.Protocol.Tests;

public sealed class PythonFloatTests
{
    // Each expected text is what CPython 3.11 prints for repr(x) and json.dumps(x).
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.3, "0.3")]
    [InlineData(1.5, "1.5")]
    [InlineData(-1.25, "-1.25")]
    [InlineData(100.0, "100.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(2.5e-07, "2.5e-07")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e22, "1e+22")]
    [InlineData(12345678901234567.0, "1.2345678901234568e+16")]
    [InlineData(123456789.123, "123456789.123")]
    [InlineData(3.14159, "3.14159")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(9007199254740992.0, "9007199254740992.0")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    public void Repr_matches_what_Python_prints(double value, string expected) =>
        Assert.Equal(expected, PythonFloat.Repr(value));

    [Fact]
    public void Repr_of_computed_values_keeps_the_shortest_round_trip_digits()
    {
        Assert.Equal("0.30000000000000004", PythonFloat.Repr(0.1 + 0.2));
        Assert.Equal("0.3333333333333333", PythonFloat.Repr(1.0 / 3));
        Assert.Equal("9007199254740992.0", PythonFloat.Repr(Math.Pow(2, 53)));
    }

    [Fact]
    public void Non_finite_values_use_the_names_json_dumps_writes()
    {
        Assert.Equal("NaN", PythonFloat.Repr(double.NaN));
        Assert.Equal("Infinity", PythonFloat.Repr(double.PositiveInfinity));
        Assert.Equal("-Infinity", PythonFloat.Repr(double.NegativeInfinity));
    }
}
