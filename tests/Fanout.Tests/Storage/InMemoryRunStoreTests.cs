using Fanout.Storage;

namespace Fanout.Tests.Storage;

/// <summary>The store contract against <see cref="InMemoryRunStore"/>.</summary>
public sealed class InMemoryRunStoreTests : RunStoreContract
{
    protected override Task<IRunStore> CreateStoreAsync() => Task.FromResult<IRunStore>(new InMemoryRunStore(Clock));

    protected override Task<IRunStore> ReopenAsync(IRunStore store) => Task.FromResult(store);

    /// <summary>The same instance: in memory there is nothing else to open.</summary>
    protected override Task<IRunStore> OpenAnotherAsync() => Task.FromResult(Store);
}
