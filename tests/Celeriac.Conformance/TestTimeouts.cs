namespace Celeriac.Conformance;

/// <summary>How long tests wait for things that should happen, and for things that should not.</summary>
public static class TestTimeouts
{
    /// <summary>Generous: a delivery normally arrives in milliseconds; this only bounds a broken test.</summary>
    public static readonly TimeSpan Arrival = TimeSpan.FromSeconds(10);

    /// <summary>How long to watch for a delivery that must not come (short: every test that uses it pays it).</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(200);
}
