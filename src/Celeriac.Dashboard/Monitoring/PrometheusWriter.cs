using System.Globalization;
using System.Text;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>Prometheus' text exposition format 0.0.4: <c># HELP</c>, <c># TYPE</c>, then <c>name{label="value"} number</c> lines.</summary>
internal static class PrometheusWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Header(StringBuilder sb, string name, string help, string type)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    public static void Sample(StringBuilder sb, string name, IReadOnlyList<(string Name, string Value)> labels, double value)
    {
        sb.Append(name);
        if (labels.Count > 0)
        {
            sb.Append('{');
            for (var i = 0; i < labels.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                sb.Append(labels[i].Name).Append("=\"");
                foreach (var c in labels[i].Value)
                {
                    _ = c switch
                    {
                        '\\' => sb.Append("\\\\"),
                        '"' => sb.Append("\\\""),
                        '\n' => sb.Append("\\n"),
                        _ => sb.Append(c),
                    };
                }

                sb.Append('"');
            }

            sb.Append('}');
        }

        sb.Append(' ').Append(Format(value)).Append('\n');
    }

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
