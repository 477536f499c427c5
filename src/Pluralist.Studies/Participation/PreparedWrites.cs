using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Pluralist.Core.Model;

namespace Pluralist.Studies.Participation;

/// <summary>
/// The SQLite group-commit writer's own statements, prepared once on its one long-lived connection: the savepoint of each
/// write, an answer's check, the rows of a first answer (the annotation, its scores, the applied request) and of a new
/// assignment, the rater places of a pair and the criteria a participant was shown. They write exactly the rows EF's
/// <c>SaveChanges</c> writes for the same entities (the same columns and conversions as <see cref="Data.PluralistDbContext"/>:
/// times as unix milliseconds, a string list as JSON text, enums and booleans as integers, generated ids read back), without
/// EF's change tracking, command building and statement preparation on every write.
/// </summary>
/// <remarks>
/// Only the writer's loop uses them, one write at a time, inside its transaction (<see cref="Enlist"/>), each write under the
/// savepoint <c>w</c>. A failed insert rolls the write back to that savepoint before it throws, as EF's own savepoint does for a
/// failed <c>SaveChanges</c>, and throws what <c>SaveChanges</c> throws (<see cref="DbUpdateException"/>), so a write that
/// retries after a lost race on a unique index starts again from nothing.
/// </remarks>
public sealed class PreparedWrites : IDisposable
{
    // The most participants whose counts are kept (a new count when one comes back after the cache was emptied).
    private const int MaxJudges = 20_000;

    private readonly List<SqliteCommand> _commands = [];
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _rollbackTo;
    private readonly SqliteCommand _check;
    private readonly SqliteCommand _annotation;
    private readonly SqliteCommand _score;
    private readonly SqliteCommand _applied;
    private readonly SqliteCommand _assignment;
    private readonly SqliteCommand _places;
    private readonly SqliteCommand _shown;
    private readonly SqliteCommand _shownRows;

    // Each participant's criteria counts as last counted, with the number of their assignments and the highest id then:
    // used again while both are unchanged (any insert or delete of the participant's assignments changes one of them; ids are
    // never reused), brought forward by this writer's own inserts, dropped whenever a write is rolled back.
    private readonly Dictionary<long, JudgeCounts> _judges = [];

    // The participant whose counts were checked last (by the draw that precedes their new assignment's insert).
    private long? _drawnFor;

    /// <param name="connection">The writer's connection, open for the writer's lifetime.</param>
    public PreparedWrites(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _savepoint = Command(connection, "SAVEPOINT w");
        _release = Command(connection, "RELEASE w");
        _rollbackTo = Command(connection, "ROLLBACK TO w");
        // ParticipationStore.CheckAnswerAsync's read on SQLite: null when the participant is not current; else whether the
        // request id was applied (and to which assignment), and whether the assignment has an answer.
        _check = Command(connection,
            "SELECT EXISTS (SELECT 1 FROM applied_requests r WHERE r.participant_id = $p AND r.kind = $k AND r.client_request_id = $r), " +
            "(SELECT r.assignment_id FROM applied_requests r WHERE r.participant_id = $p AND r.kind = $k AND r.client_request_id = $r LIMIT 1), " +
            "EXISTS (SELECT 1 FROM annotations n WHERE n.assignment_id = $a) " +
            "FROM participants WHERE id = $p AND withdrawn_at IS NULL LIMIT 1",
            "$p", "$k", "$r", "$a");
        _annotation = Command(connection,
            "INSERT INTO annotations (assignment_id, client_duration_ms, client_request_id, comment, language, pair_id, participant_id, server_duration_ms, slider_steps, submitted_at) " +
            "VALUES ($assignment, $client_ms, $request, $comment, $language, $pair, $participant, $server_ms, $steps, $at) RETURNING id",
            "$assignment", "$client_ms", "$request", "$comment", "$language", "$pair", "$participant", "$server_ms", "$steps", "$at");
        _score = Command(connection,
            "INSERT INTO annotation_scores (annotation_id, criterion_key, position, score) VALUES ($annotation, $key, $position, $score) RETURNING id",
            "$annotation", "$key", "$position", "$score");
        _applied = Command(connection,
            "INSERT INTO applied_requests (applied_at, assignment_id, client_request_id, image_id, kind, participant_id) " +
            "VALUES ($at, $assignment, $request, $image, $kind, $participant) RETURNING id",
            "$at", "$assignment", "$request", "$image", "$kind", "$participant");
        _assignment = Command(connection,
            "INSERT INTO assignments (batch_id, criteria_shown, image_0_on_left, language, overlap_slot, pair_id, participant_id, served_at) " +
            "VALUES ($batch, $criteria, $left, $language, $slot, $pair, $participant, $at) RETURNING id",
            "$batch", "$criteria", "$left", "$language", "$slot", "$pair", "$participant", "$at");
        _places = Command(connection, "SELECT overlap_slot FROM assignments WHERE pair_id = $pair AND overlap_slot IS NOT NULL", "$pair");
        // How often each criterion was shown to the participant, counted by SQLite (json_each over the JSON list) instead
        // of reading and parsing every earlier assignment's list.
        _shown = Command(connection,
            "SELECT j.value, COUNT(*) FROM assignments a, json_each(a.criteria_shown) j WHERE a.participant_id = $participant GROUP BY j.value",
            "$participant");
        _shownRows = Command(connection, "SELECT COUNT(*), MAX(id) FROM assignments WHERE participant_id = $participant", "$participant");
    }

    /// <summary>Runs the statements in <paramref name="transaction"/> (the batch's), as SQLite requires of a connection in one.</summary>
    public void Enlist(SqliteTransaction? transaction)
    {
        foreach (var command in _commands)
        {
            command.Transaction = transaction;
        }
    }

    /// <summary>Starts the savepoint of one write.</summary>
    public void Savepoint() => _savepoint.ExecuteNonQuery();

    /// <summary>Keeps what the write did (its savepoint is released into the batch's transaction).</summary>
    public void Release() => _release.ExecuteNonQuery();

    /// <summary>Undoes what the write did; its savepoint stays open (release it, or run the write again under it).</summary>
    public void RollbackTo()
    {
        // What the write inserted is gone: the counts it brought forward are not trusted any more.
        _judges.Clear();
        _rollbackTo.ExecuteNonQuery();
    }

    /// <summary><see cref="ParticipationStore.CheckAnswerAsync"/> on SQLite, inside the writer's transaction.</summary>
    public AnswerCheck? CheckAnswer(long participantId, AnswerKind kind, string requestId, long assignmentId)
    {
        Set(_check, participantId, (int)kind, requestId, assignmentId);
        using var reader = _check.ExecuteReader();
        return reader.Read()
            ? new AnswerCheck(reader.GetInt64(0) != 0, reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetInt64(2) != 0)
            : null;
    }

    /// <summary>
    /// Inserts a first answer: the annotation, then its scores in order, then the applied request, each with the id SQLite
    /// gives it (as EF's <c>SaveChanges</c> inserts them and reads the ids back; the scores and the request get the annotation's
    /// and assignment's ids).
    /// </summary>
    public void InsertAnswer(Annotation annotation, AppliedRequest applied)
    {
        ArgumentNullException.ThrowIfNull(annotation);
        ArgumentNullException.ThrowIfNull(applied);
        Guarded(() =>
        {
            Set(_annotation, annotation.AssignmentId, annotation.ClientDurationMs, annotation.ClientRequestId, annotation.Comment, annotation.Language,
                annotation.PairId, annotation.ParticipantId, annotation.ServerDurationMs, annotation.SliderSteps, annotation.SubmittedAt.ToUnixTimeMilliseconds());
            var annotationId = (long)_annotation.ExecuteScalar()!;
            foreach (var score in annotation.Scores)
            {
                Set(_score, annotationId, score.CriterionKey, score.Position, score.Score);
                score.Id = (long)_score.ExecuteScalar()!;
                score.AnnotationId = annotationId;
            }

            Set(_applied, applied.AppliedAt.ToUnixTimeMilliseconds(), applied.AssignmentId, applied.ClientRequestId, applied.ImageId, (int)applied.Kind, applied.ParticipantId);
            applied.Id = (long)_applied.ExecuteScalar()!;
            annotation.Id = annotationId;
        });
    }

    /// <summary>Inserts a new assignment and sets its id (the pair's count of assignments is kept by the database's trigger).</summary>
    public void InsertAssignment(Assignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        Guarded(() =>
        {
            Set(_assignment, assignment.BatchId, JsonSerializer.Serialize(assignment.CriteriaShown, JsonSerializerOptions.Default), assignment.Image0OnLeft ? 1L : 0L,
                assignment.Language, assignment.OverlapSlot, assignment.PairId, assignment.ParticipantId, assignment.ServedAt.ToUnixTimeMilliseconds());
            assignment.Id = (long)_assignment.ExecuteScalar()!;
        });
        var drawn = _drawnFor == assignment.ParticipantId;
        _drawnFor = null;
        if (!drawn)
        {
            _judges.Remove(assignment.ParticipantId);
        }
        else if (_judges.TryGetValue(assignment.ParticipantId, out var judge))
        {
            // The counts were read at this assignment's draw: bring them forward by this row (its id is the highest now).
            foreach (var key in assignment.CriteriaShown)
            {
                judge.Counts[key] = judge.Counts.GetValueOrDefault(key) + 1;
            }

            _judges[assignment.ParticipantId] = judge with { Rows = judge.Rows + 1, MaxId = assignment.Id };
        }
    }

    /// <summary>The rater places of the pair that are taken (<see cref="ParticipationStore.TakenPlacesAsync"/>).</summary>
    public List<int> TakenPlaces(long pairId)
    {
        Set(_places, pairId);
        var taken = new List<int>();
        using var reader = _places.ExecuteReader();
        while (reader.Read())
        {
            taken.Add(reader.GetInt32(0));
        }

        return taken;
    }

    /// <summary>How often each criterion was shown to the participant, over all their assignments (<see cref="CriteriaCounts.ShownToJudgeAsync"/>).</summary>
    /// <remarks>
    /// Counted by SQLite over the participant's assignments the first time, then kept: while the number of the participant's
    /// assignments and the highest of their ids are what they were (one cheap read of the index), the kept counts are
    /// theirs; this writer's own inserts bring them forward, and a rollback or any other change means a new count.
    /// </remarks>
    public Dictionary<string, long> ShownToJudge(long participantId)
    {
        Set(_shownRows, participantId);
        long rows, maxId;
        using (var reader = _shownRows.ExecuteReader())
        {
            reader.Read();
            rows = reader.GetInt64(0);
            maxId = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        }

        _drawnFor = participantId;
        if (!_judges.TryGetValue(participantId, out var judge) || judge.Rows != rows || judge.MaxId != maxId)
        {
            if (_judges.Count >= MaxJudges)
            {
                _judges.Clear();
            }

            judge = new JudgeCounts(CountShown(participantId), rows, maxId);
            _judges[participantId] = judge;
        }

        return new Dictionary<string, long>(judge.Counts, StringComparer.Ordinal);
    }

    /// <summary>How often each criterion was shown to the participant, counted by SQLite over all their assignments.</summary>
    public Dictionary<string, long> CountShown(long participantId)
    {
        Set(_shown, participantId);
        var judge = new Dictionary<string, long>(StringComparer.Ordinal);
        using var reader = _shown.ExecuteReader();
        while (reader.Read())
        {
            judge[reader.GetString(0)] = reader.GetInt64(1);
        }

        return judge;
    }

    public void Dispose()
    {
        foreach (var command in _commands)
        {
            command.Dispose();
        }
    }

    private void Guarded(Action insert)
    {
        try
        {
            insert();
        }
        catch (SqliteException e)
        {
            // What the inserts did so far goes, as with SaveChanges's own savepoint; the caller sees what SaveChanges throws.
            RollbackTo();
            throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", e);
        }
    }

    private SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _commands.Add(command);
        return command;
    }

    private sealed record JudgeCounts(Dictionary<string, long> Counts, long Rows, long MaxId);

    private static void Set(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }
}
