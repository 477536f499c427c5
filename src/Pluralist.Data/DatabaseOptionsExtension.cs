using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Pluralist.Data;

/// <summary>
/// Carries the <see cref="DatabaseOptions"/> a context's EF options were made for, so that the context (whose only
/// constructor takes EF options, as pooling requires) knows its provider. It adds no services and does not change
/// which internal service provider (and so which model and compiled queries) EF uses.
/// </summary>
internal sealed class DatabaseOptionsExtension(DatabaseOptions database) : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public DatabaseOptions Database { get; } = database;

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => string.Empty;

        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
        }
    }
}
