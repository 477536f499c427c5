using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pluralist.Data.Bundles;

/// <summary>
/// Inserts many rows of one entity type with a single prepared <c>INSERT … RETURNING id</c> inside
/// the context's current transaction, bypassing EF's change tracker (which costs about a
/// millisecond a row at import sizes; see docs/performance.md). Table, columns and value
/// conversions (enums, JSON lists, timestamps per provider) come from the EF model, so the
/// statement follows the mapping.
/// </summary>
internal sealed class BulkInserter<T> : IAsyncDisposable
    where T : class
{
    // Rows per round trip where the provider runs command batches (PostgreSQL); SQLite is in-process and runs one prepared command per row.
    private const int BatchSize = 500;

    private readonly DbCommand _command;
    private readonly (IProperty Property, DbParameter Parameter)[] _columns;
    private readonly IProperty _key;
    private readonly DbConnection _connection;

    private BulkInserter(DbCommand command, (IProperty, DbParameter)[] columns, IProperty key, DbConnection connection)
    {
        _command = command;
        _columns = columns;
        _key = key;
        _connection = connection;
    }

    public static async Task<BulkInserter<T>> CreateAsync(PluralistDbContext db, CancellationToken ct)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped.");
        var key = entity.FindPrimaryKey()!.Properties.Single();
        // Columns the database keeps (a pair's assignment count, schema version 14) take their default, as with EF's own inserts.
        var properties = entity.GetProperties().Where(p => p != key && p.GetBeforeSaveBehavior() != PropertySaveBehavior.Ignore).ToArray();
        var connection = db.Database.GetDbConnection();
        var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Bulk inserts run inside the import's transaction.");
        var columns = new (IProperty, DbParameter)[properties.Length];
        for (var i = 0; i < properties.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            parameter.DbType = DbTypeOf(properties[i]);
            command.Parameters.Add(parameter);
            columns[i] = (properties[i], parameter);
        }

        command.CommandText =
            $"INSERT INTO {entity.GetTableName()} ({string.Join(", ", properties.Select(p => p.GetColumnName()))}) " +
            $"VALUES ({string.Join(", ", columns.Select(c => c.Item2.ParameterName))}) RETURNING {key.GetColumnName()}";
        await command.PrepareAsync(ct);
        return new BulkInserter<T>(command, columns, key, connection);
    }

    /// <summary>Inserts <paramref name="rows"/> in order and sets their ids, a batch of commands per round trip where the provider can.</summary>
    public async Task InsertManyAsync(IReadOnlyList<T> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (!_connection.CanCreateBatch)
        {
            foreach (var row in rows)
            {
                await InsertAsync(row, ct);
            }

            return;
        }

        foreach (var chunk in rows.Chunk(BatchSize))
        {
            await using var batch = _connection.CreateBatch();
            batch.Transaction = _command.Transaction;
            foreach (var row in chunk)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = _command.CommandText;
                foreach (var (property, template) in _columns)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = template.ParameterName;
                    parameter.DbType = template.DbType;
                    parameter.Value = ValueOf(property, row);
                    command.Parameters.Add(parameter);
                }

                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(ct);
            foreach (var row in chunk)
            {
                if (!await reader.ReadAsync(ct))
                {
                    throw new InvalidOperationException($"No id came back for a {typeof(T).Name} row.");
                }

                _key.PropertyInfo!.SetValue(row, reader.GetInt64(0));
                await reader.NextResultAsync(ct);
            }
        }
    }

    /// <summary>Inserts <paramref name="row"/> and sets its id.</summary>
    public async Task<long> InsertAsync(T row, CancellationToken ct)
    {
        foreach (var (property, parameter) in _columns)
        {
            parameter.Value = ValueOf(property, row);
        }

        var id = Convert.ToInt64(await _command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        _key.PropertyInfo!.SetValue(row, id);
        return id;
    }

    public ValueTask DisposeAsync() => _command.DisposeAsync();

    private static object ValueOf(IProperty property, T row)
    {
        var value = property.GetGetter().GetClrValueUsingContainingEntity(row);
        var converter = property.GetTypeMapping().Converter;
        return value is null ? DBNull.Value : converter is null ? value : converter.ConvertToProvider(value) ?? DBNull.Value;
    }

    // PostgreSQL prepares typed statements, so every parameter gets the type of the column's provider value.
    private static System.Data.DbType DbTypeOf(IProperty property)
    {
        var clr = property.GetTypeMapping().Converter?.ProviderClrType ?? property.ClrType;
        clr = Nullable.GetUnderlyingType(clr) ?? clr;
        return clr switch
        {
            _ when clr == typeof(long) => System.Data.DbType.Int64,
            _ when clr == typeof(int) => System.Data.DbType.Int32,
            _ when clr == typeof(double) => System.Data.DbType.Double,
            _ when clr == typeof(bool) => System.Data.DbType.Boolean,
            _ when clr == typeof(string) => System.Data.DbType.String,
            _ when clr == typeof(DateTimeOffset) => System.Data.DbType.DateTimeOffset,
            _ => throw new InvalidOperationException($"{property.DeclaringType.DisplayName()}.{property.Name}: no parameter type for {clr.Name}."),
        };
    }
}
