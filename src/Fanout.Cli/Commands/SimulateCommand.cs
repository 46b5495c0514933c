using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Fanout.Plans;
using Fanout.Simulator;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout simulate [--port 8089] [--config sim.yaml]</c>: serve the OpenAI and Anthropic APIs on 127.0.0.1 until Ctrl+C.</summary>
internal static class SimulateCommand
{
    public static Command Create(CliEnvironment env)
    {
        var port = new Option<int>("--port", "-p") { Description = "Port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 8089, HelpName = "PORT" }.Between(IPEndPoint.MinPort, IPEndPoint.MaxPort);
        var config = new Option<string?>("--config", "-c") { Description = "YAML file: keys with rpm/tpm/itpm/otpm, models (latency), faults (rate, kinds, script)", HelpName = "FILE" };
        var command = new Command("simulate", "Serve a simulated OpenAI and Anthropic API on 127.0.0.1 (chat, messages, images) with per-key limits and faults") { port, config };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(env, parse.GetValue(port), parse.GetValue(config), cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, int port, string? configPath, CancellationToken cancellationToken)
    {
        var options = new SimulatorOptions();
        if (configPath is not null)
        {
            string text;
            try
            {
                text = InputFile.ReadText(env.FullPath(configPath));
            }
            catch (InputFileException e)
            {
                await env.Error.WriteLineAsync($"fanout: cannot read the config file '{configPath}' ({e.Message})");
                return ExitCodes.Invalid;
            }

            options = SimulatorConfig.Read(text, configPath, out var problems);
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await env.Error.WriteLineAsync(problem);
                }

                return ExitCodes.Invalid;
            }
        }

        SimulatorServer server;
        try
        {
            server = await SimulatorServer.StartAsync(options with { Port = port }, cancellationToken);
        }
        catch (IOException e) when (e.InnerException is SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            await env.Error.WriteLineAsync($"fanout: cannot listen on 127.0.0.1:{port}: {e.Message}");
            return ExitCodes.Invalid;
        }

        await using (server)
        {
            await env.Out.WriteLineAsync($"fanout simulate listening on {server.Address}");
            await env.Out.WriteLineAsync($"  OpenAI base URL:    {server.Address}v1");
            await env.Out.WriteLineAsync($"  Anthropic base URL: {server.Address.ToString().TrimEnd('/')}");
            // Aliases only: keys are secrets by habit, even fake ones.
            foreach (var key in options.Keys)
            {
                await env.Out.WriteLineAsync($"  key '{key.Alias}': {Limits(key)}");
            }

            await env.Out.WriteLineAsync("Ctrl+C to stop.");
            await server.WaitAsync(cancellationToken);
        }

        return ExitCodes.Success;
    }

    private static string Limits(SimulatorKey key)
    {
        var parts = new[] { ("rpm", key.Rpm), ("tpm", key.Tpm), ("itpm", key.Itpm), ("otpm", key.Otpm) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1} {p.Item2}").ToList();
        return parts.Count == 0 ? "unlimited" : string.Join(", ", parts);
    }
}
