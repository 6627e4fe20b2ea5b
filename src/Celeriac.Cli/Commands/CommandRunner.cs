using System.CommandLine;
using Celeriac.Protocol;

namespace Celeriac.Cli.Commands;

/// <summary>Runs a command body with the errors a user can act on turned into messages and exit codes.</summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, CeleriacApp? app, Func<CeleriacApp, ParseResult, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (app is null)
            {
                return ExitCodes.Software;
            }

            try
            {
                return await body(app, parse, cancellationToken).ConfigureAwait(false);
            }
            catch (CeleriacConfigurationException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Error: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (CommandException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Error: " + ex.Message).ConfigureAwait(false);
                return ex.ExitCode;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"Error: cannot reach the broker or result backend ({app.BrokerOptionsUrl.Redacted}): {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Unavailable;
            }
        });
    }

    private static bool IsUnavailable(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException
        || ex.InnerException is { } inner && IsUnavailable(inner);

    public static System.Text.Json.Nodes.JsonNode? ParseJson(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return KombuJson.Parse(System.Text.Encoding.UTF8.GetBytes(text));
        }
        catch (MessageDecodeException ex)
        {
            throw new CommandException($"{option} is not valid JSON: {ex.Message}", ExitCodes.Usage);
        }
    }
}
