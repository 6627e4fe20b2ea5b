namespace Celeriac.Protocol.Tests;

public sealed class WireTimeTests
{
    private static readonly DateTimeOffset Base = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Parse_reads_microseconds_and_Z()
    {
        var value = WireTime.Parse("2024-01-02T03:04:05.000006Z");
        Assert.Equal(Base.AddTicks(60), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Fact]
    public void Parse_keeps_the_offset()
    {
        var value = WireTime.Parse("2024-01-02T03:04:05+01:00");
        Assert.Equal(TimeSpan.FromHours(1), value.Offset);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 2, 4, 5, TimeSpan.Zero), value.ToUniversalTime());

        Assert.Equal(new TimeSpan(-5, -30, 0), WireTime.Parse("2024-01-02T03:04:05.123-05:30").Offset);
        Assert.Equal(TimeSpan.FromHours(2), WireTime.Parse("2024-01-02T03:04:05+0200").Offset);
    }

    [Fact]
    public void Parse_reads_the_offset_Celery_writes_in_eta_headers()
    {
        // Fixture 02-countdown.
        var value = WireTime.Parse("2026-11-24T06:16:51.003367+00:00");
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 6, 16, 51, TimeSpan.Zero).AddTicks(33670), value);
    }

    [Fact]
    public void Parse_takes_naive_text_as_UTC()
    {
        var value = WireTime.Parse("2024-01-02T03:04:05");
        Assert.Equal(Base, value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Fact]
    public void Parse_takes_a_date_alone_as_midnight_UTC() =>
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero), WireTime.Parse("2024-01-02"));

    [Fact]
    public void Parse_accepts_a_space_separator_and_missing_seconds() =>
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 0, TimeSpan.Zero), WireTime.Parse("2024-01-02 03:04"));

    [Fact]
    public void Parse_truncates_digits_beyond_ticks() =>
        Assert.Equal(Base.AddTicks(1234567), WireTime.Parse("2024-01-02T03:04:05.123456789Z"));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tomorrow")]
    [InlineData("2024-13-01")]
    [InlineData("2024-02-30")]
    [InlineData("2024-01-02T25:00:00")]
    [InlineData("2024-01-02T03:04:60")]
    [InlineData("2024-01-02T03:04:05+15:00")]
    [InlineData("2024-01-02T03:04:05+01:75")]
    [InlineData("2024-01-02T03:04:05Zjunk")]
    [InlineData("24-01-02")]
    [InlineData("\u0662\u0660\u0662\u0664-01-02")]
    [InlineData("2024-01-02T03:04:05.\u0661Z")]
    public void Bad_text_is_refused(string text)
    {
        Assert.False(WireTime.TryParse(text, out _));
        Assert.Throws<FormatException>(() => WireTime.Parse(text));
    }

    [Fact]
    public void TryParse_refuses_null() => Assert.False(WireTime.TryParse(null, out _));

    [Fact]
    public void FormatAware_writes_isoformat_with_microseconds_and_offset()
    {
        Assert.Equal("2026-11-24T06:07:15.541891+00:00", WireTime.FormatAware(new DateTimeOffset(2026, 11, 24, 6, 7, 15, TimeSpan.Zero).AddTicks(5418910)));
        Assert.Equal("2024-01-02T03:04:05+01:00", WireTime.FormatAware(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(1))));
        Assert.Equal("2024-01-02T03:04:05.000006-05:30", WireTime.FormatAware(new DateTimeOffset(2024, 1, 2, 3, 4, 5, new TimeSpan(-5, -30, 0)).AddTicks(60)));
    }

    [Fact]
    public void FormatNaive_omits_zero_microseconds()
    {
        Assert.Equal("2026-11-24T06:09:46.198991", WireTime.FormatNaive(new DateTime(2026, 11, 24, 6, 9, 46, DateTimeKind.Utc).AddTicks(1989910)));
        Assert.Equal("2026-11-24T06:09:46", WireTime.FormatNaive(new DateTime(2026, 11, 24, 6, 9, 46, DateTimeKind.Utc)));
        Assert.Equal("2026-11-24T06:09:46.000001", WireTime.FormatNaive(new DateTime(2026, 11, 24, 6, 9, 46, DateTimeKind.Utc).AddTicks(10)));
    }

    [Fact]
    public void Sub_microsecond_ticks_are_dropped_because_Python_has_none()
    {
        Assert.Equal("2024-01-02T03:04:05", WireTime.FormatNaive(Base.UtcDateTime.AddTicks(9)));
        Assert.Equal("2024-01-02T03:04:05.000001+00:00", WireTime.FormatAware(Base.AddTicks(19)));
    }

    [Fact]
    public void Format_and_parse_round_trip()
    {
        var value = new DateTimeOffset(2030, 6, 7, 8, 9, 10, TimeSpan.FromMinutes(-90)).AddTicks(1234560);
        Assert.Equal(value, WireTime.Parse(WireTime.FormatAware(value)));
        Assert.Equal(value.Offset, WireTime.Parse(WireTime.FormatAware(value)).Offset);
    }

    [Fact]
    public void ToUnixSeconds_is_a_python_time_float()
    {
        Assert.Equal(0.0, WireTime.ToUnixSeconds(DateTimeOffset.UnixEpoch));
        Assert.Equal(1704164645.5, WireTime.ToUnixSeconds(Base.AddMilliseconds(500)));
    }
}
