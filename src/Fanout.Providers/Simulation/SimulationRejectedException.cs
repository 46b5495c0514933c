namespace Fanout.Providers.Simulation;

/// <summary>
/// A request the simulated provider will not answer because of what it asks for (a schema whose smallest instance
/// is too large, a script naming an undeclared tool): never worth retrying. The simulator answers it with a 400 in
/// the provider's own error shape; the message is written for the request's author.
/// </summary>
public sealed class SimulationRejectedException(string message) : TaskFailedException(message, retryable: false);
