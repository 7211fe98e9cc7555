"""The project file's schema, as named migrations applied in order when a project opens.

Never edit a migration that has shipped: add a new one. A project whose migrations table names a
migration this version does not know was written by a newer Winnow, and :func:`check_not_newer`
refuses it instead of guessing.
"""

from __future__ import annotations

import secrets
import uuid

from sqlite_utils import Database, Migrations

MIGRATION_SET = "winnow"
migrations = Migrations(MIGRATION_SET)

SAMPLE_STATUSES = ("new", "in_review", "accepted", "rejected", "needs_fix")
REVIEW_STAGES = ("annotate", "inspect", "expert")
VERDICTS = ("accept", "reject", "needs_fix")
SUGGESTION_STATES = ("pending", "accepted", "edited", "dismissed")
JOB_STATES = ("queued", "running", "paused", "cancelled", "failed", "done")
JOB_ITEM_STATES = ("pending", "running", "done", "failed", "skipped")
KINDS = ("instruction", "translation", "chat", "exam", "code")
# A batch's way through work packages and the QA gates.
BATCH_STATES = ("assigned", "exported", "returned", "merged", "inspecting", "passed", "failed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"CHECK ({column} IN ({quoted}))"


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE project (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- Every change a person makes is one row here, with the row images needed to undo and
        -- redo it, so undo survives closing the project.
        CREATE TABLE operations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            author TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            steps TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'done' {_one_of("state", ("done", "undone", "dropped"))},
            created_at TEXT NOT NULL
        );

        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            format TEXT NOT NULL,
            encoding TEXT NOT NULL DEFAULT '',
            subset TEXT NOT NULL,
            record_count INTEGER NOT NULL DEFAULT 0,
            skipped_count INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL
        );
        CREATE INDEX sources_by_hash ON sources(sha256);

        -- The record exactly as it was read. Never updated.
        CREATE TABLE origins (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            line INTEGER NOT NULL,
            member TEXT NOT NULL DEFAULT '',
            raw TEXT NOT NULL,
            hash TEXT NOT NULL
        );

        CREATE TABLE samples (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL {_one_of("kind", KINDS)},
            subset TEXT NOT NULL DEFAULT '',
            source_id INTEGER REFERENCES sources(id),
            origin_id INTEGER REFERENCES origins(id),
            content TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new' {_one_of("status", SAMPLE_STATUSES)},
            label INTEGER CHECK (label BETWEEN 1 AND 4),
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            assignee TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            deleted INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX samples_by_source ON samples(source_id);
        CREATE INDEX samples_by_status ON samples(status) WHERE deleted = 0;
        CREATE INDEX samples_by_subset ON samples(subset) WHERE deleted = 0;
        CREATE INDEX samples_by_kind ON samples(kind) WHERE deleted = 0;
        CREATE INDEX samples_by_label ON samples(label) WHERE deleted = 0 AND label IS NOT NULL;
        CREATE INDEX samples_by_rating ON samples(rating) WHERE deleted = 0 AND rating IS NOT NULL;
        CREATE INDEX samples_by_assignee ON samples(assignee) WHERE deleted = 0 AND assignee IS NOT NULL;

        CREATE TABLE sample_flags (
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            flag TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (sample_id, flag)
        ) WITHOUT ROWID;
        CREATE INDEX sample_flags_by_flag ON sample_flags(flag, sample_id);

        -- Content as it was at each version. Version 1 (the import) is written only when the
        -- sample first changes: a million untouched samples cost no revision rows.
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            version INTEGER NOT NULL,
            content TEXT NOT NULL,
            author TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            operation_id INTEGER REFERENCES operations(id),
            UNIQUE (sample_id, version)
        );

        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            task TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            params TEXT NOT NULL DEFAULT '{{}}',
            state TEXT NOT NULL DEFAULT 'queued' {_one_of("state", JOB_STATES)},
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            budget_characters INTEGER,
            budget_tokens INTEGER,
            budget_cost REAL,
            spent_characters INTEGER NOT NULL DEFAULT 0,
            spent_tokens INTEGER NOT NULL DEFAULT 0,
            spent_cost REAL NOT NULL DEFAULT 0,
            error TEXT
        );

        CREATE TABLE job_items (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id),
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            state TEXT NOT NULL DEFAULT 'pending' {_one_of("state", JOB_ITEM_STATES)},
            attempts INTEGER NOT NULL DEFAULT 0,
            request_key TEXT,
            suggestion_id INTEGER,
            error TEXT,
            updated_at TEXT,
            UNIQUE (job_id, sample_id)
        );
        CREATE INDEX job_items_by_state ON job_items(job_id, state);

        -- Responses by request key, so a resumed or repeated job never pays twice.
        CREATE TABLE cache (
            key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            response TEXT NOT NULL,
            characters INTEGER NOT NULL DEFAULT 0,
            tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE suggestions (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            task TEXT NOT NULL,
            content TEXT NOT NULL,
            engine TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            prompt_version TEXT NOT NULL DEFAULT '',
            cost REAL NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending' {_one_of("state", SUGGESTION_STATES)},
            job_id INTEGER REFERENCES jobs(id),
            created_at TEXT NOT NULL,
            decided_at TEXT,
            decided_by TEXT
        );
        CREATE INDEX suggestions_by_sample ON suggestions(sample_id);

        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            stage TEXT NOT NULL {_one_of("stage", REVIEW_STAGES)},
            reviewer TEXT NOT NULL,
            verdict TEXT CHECK (verdict IS NULL OR verdict IN ('accept', 'reject', 'needs_fix')),
            label INTEGER CHECK (label BETWEEN 1 AND 4),
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            seconds REAL,
            created_at TEXT NOT NULL,
            operation_id INTEGER REFERENCES operations(id)
        );
        CREATE INDEX reviews_by_sample ON reviews(sample_id);

        -- Contentless: the index holds no second copy of the text; the store deletes an entry
        -- by giving back the text it indexed (see app.store.index).
        CREATE VIRTUAL TABLE samples_fts USING fts5(body, content='', tokenize='trigram');
        """
    )


@migrations(name="0002_fts_hashsize")
def fts_hashsize(db: Database) -> None:
    # FTS5 flushes its in-memory term table to a new index segment every 1 MiB by default; a
    # million trigram-indexed samples then spend most of the import merging segments. 16 MiB made
    # a 200,000-row import 1.5x faster for ~30 MB more memory (tests/bench/README.md); 32 MiB
    # gained nothing more. The setting is stored in the index's config table, so it persists.
    db.execute("INSERT INTO samples_fts(samples_fts, rank) VALUES ('hashsize', 16777216)")


@migrations(name="0003_deleted_samples_index")
def deleted_samples_index(db: Database) -> None:
    # The ids of deleted samples, usually none: a text-only search takes its hits from the FTS
    # index and leaves out these few instead of reading every hit's row to check ``deleted``
    # (on a million samples 70–110 ms warm and 2 s with the table out of the OS page cache, where
    # the index is a few pages). Inserting samples that are not deleted costs it nothing.
    db.execute("CREATE INDEX samples_deleted ON samples(id) WHERE deleted != 0")


@migrations(name="0004_suggestion_usage")
def suggestion_usage(db: Database) -> None:
    # What a machine draft took to make — DeepL's billed characters, a model's prompt + completion
    # tokens — beside its cost, so a reviewer and the budget report see it per suggestion.
    db.executescript(
        """
        ALTER TABLE suggestions ADD COLUMN characters INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE suggestions ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
        """
    )


@migrations(name="0005_quality_checks")
def quality_checks(db: Database) -> None:
    # The Chinese QA checks (app.quality) keep their findings in sample_flags, one row per check and
    # sample. They are derived from the content like the text index, so triggers recompute them in
    # the transaction of every content change, whatever made it: an edit, a draft taken, a sample
    # created, an undo or redo, a merged work package. winnow_quality(kind, content) returns
    # {check: detail} as JSON (NULL for a clean sample); it is registered on every connection
    # (app.store.project). Imported samples (origin_id set) get theirs from the importer, which
    # runs the checks in its reader thread beside SQLite's indexing instead of in this trigger.
    #
    # quality_ignores: a person said a check's flag on a sample is wrong ("API" is meant to be
    # English). An ignored flag is not written again while the ignore stands; undoing the ignore
    # (a delete here) puts the flag back if the check still finds it.
    db.executescript(
        """
        CREATE TABLE quality_ignores (
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            flag TEXT NOT NULL,
            ignored_by TEXT NOT NULL,
            ignored_at TEXT NOT NULL,
            PRIMARY KEY (sample_id, flag)
        ) WITHOUT ROWID;

        CREATE TRIGGER samples_quality_on_create AFTER INSERT ON samples WHEN NEW.origin_id IS NULL
        BEGIN
            INSERT OR REPLACE INTO sample_flags(sample_id, flag, detail)
            SELECT NEW.id, f.key, f.value FROM json_each(winnow_quality(NEW.kind, NEW.content)) f
            WHERE NOT EXISTS (SELECT 1 FROM quality_ignores i WHERE i.sample_id = NEW.id AND i.flag = f.key);
        END;

        CREATE TRIGGER samples_quality_on_edit AFTER UPDATE OF content ON samples
        WHEN OLD.content IS NOT NEW.content
        BEGIN
            DELETE FROM sample_flags WHERE sample_id = NEW.id AND winnow_is_quality_flag(flag);
            INSERT OR REPLACE INTO sample_flags(sample_id, flag, detail)
            SELECT NEW.id, f.key, f.value FROM json_each(winnow_quality(NEW.kind, NEW.content)) f
            WHERE NOT EXISTS (SELECT 1 FROM quality_ignores i WHERE i.sample_id = NEW.id AND i.flag = f.key);
        END;

        CREATE TRIGGER quality_ignore_added AFTER INSERT ON quality_ignores
        BEGIN
            DELETE FROM sample_flags WHERE sample_id = NEW.sample_id AND flag = NEW.flag;
        END;

        CREATE TRIGGER quality_ignore_removed AFTER DELETE ON quality_ignores
        BEGIN
            INSERT OR REPLACE INTO sample_flags(sample_id, flag, detail)
            SELECT s.id, f.key, f.value FROM samples s, json_each(winnow_quality(s.kind, s.content)) f
            WHERE s.id = OLD.sample_id AND f.key = OLD.flag;
        END;
        """
    )


@migrations(name="0006_work_packages")
def work_packages(db: Database) -> None:
    # A project's identity (a package names the project it came from) and the secret its package
    # manifests are signed with; the secret never leaves this file. Projects made before this
    # migration get theirs now.
    db.execute(
        "INSERT OR IGNORE INTO project(key, value) VALUES ('id', ?), ('package_key', ?)",
        [str(uuid.uuid4()), secrets.token_hex(32)],
    )
    db.executescript(
        f"""
        -- A batch: samples given to one annotator, leaving as one work package. The QA gates hang
        -- off it (stage 1 inspection, stage 2 expert check, per batch).
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            assignment TEXT NOT NULL,
            annotator TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'assigned' {_one_of("state", BATCH_STATES)},
            seed INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            exported_at TEXT,
            merged_at TEXT
        );
        CREATE TABLE batch_samples (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            shared INTEGER NOT NULL DEFAULT 0,  -- also in another annotator's batch (the overlap)
            UNIQUE (batch_id, sample_id)
        );
        CREATE INDEX batch_samples_by_sample ON batch_samples(sample_id);

        -- One row per package merged: merging the same export again is recognised and changes nothing.
        CREATE TABLE package_merges (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            export_id TEXT NOT NULL UNIQUE,
            digest TEXT NOT NULL,
            annotator TEXT NOT NULL,
            merged_at TEXT NOT NULL,
            merged_by TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT ''
        );
        -- What a merged package proposed for each sample it changed, with the package's own revisions:
        -- kept whether the change was applied or went to adjudication, so nothing is lost.
        CREATE TABLE package_changes (
            id INTEGER PRIMARY KEY,
            merge_id INTEGER NOT NULL REFERENCES package_merges(id),
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            base_hash TEXT NOT NULL,
            state TEXT NOT NULL,   -- JSON: content, label, rating, status as the package returned them
            author TEXT NOT NULL,
            history TEXT NOT NULL DEFAULT '[]',
            outcome TEXT NOT NULL {_one_of("outcome", ("applied", "same", "conflict"))}
        );
        CREATE INDEX package_changes_by_sample ON package_changes(sample_id);

        -- Samples two people (or a person and the lead) changed differently: every version is kept
        -- until the lead adjudicates.
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            base TEXT NOT NULL,    -- JSON state the packages started from
            state TEXT NOT NULL DEFAULT 'open' {_one_of("state", ("open", "resolved"))},
            opened_at TEXT NOT NULL,
            resolved_at TEXT,
            resolved_by TEXT
        );
        CREATE INDEX conflicts_open ON conflicts(sample_id) WHERE state = 'open';
        CREATE TABLE conflict_versions (
            id INTEGER PRIMARY KEY,
            conflict_id INTEGER NOT NULL REFERENCES conflicts(id),
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            batch_id INTEGER REFERENCES batches(id),  -- NULL: the lead's own copy
            author TEXT NOT NULL,
            state TEXT NOT NULL    -- JSON: content, label, rating, status
        );
        CREATE INDEX conflict_versions_by_conflict ON conflict_versions(conflict_id);
        """
    )


@migrations(name="0008_stored_plain")
def stored_plain(db: Database) -> None:
    # 1 where the stored content is exactly {"instruction", "input", "output"} (all text, in that
    # order) of an instruction or code sample: an Alpaca export then copies the stored bytes without
    # looking at them. Set by the importer, which checks it as it builds the row; any later change of
    # the content (an edit, an undo, a merge, by whatever code path) clears it through the trigger,
    # and NULL only means "look at the row", never anything wrong.
    db.executescript(
        """
        ALTER TABLE samples ADD COLUMN stored_plain INTEGER;
        CREATE TRIGGER samples_stored_plain_stale AFTER UPDATE OF content, kind ON samples
        WHEN new.stored_plain IS NOT NULL
        BEGIN
            UPDATE samples SET stored_plain = NULL WHERE id = new.id;
        END;
        """
    )


@migrations(name="0009_qa_gates")
def qa_gates(db: Database) -> None:
    # The two QA gates (app.gates). A batch goes through stage 1 (an inspector checks every annotated
    # sample) and stage 2 (an expert checks a seeded random sample) once per *phase* — ``annotate``,
    # then ``correct`` after the label-3 corrections, as COIG ran them — and again after each rework
    # *round* (a failed batch goes back to its annotator). ``gate_stage`` is the last stage the batch
    # passed in its phase and round: 0 none, 1 inspection, 2 the expert's check.
    #
    # gate_checks: one check of one sample by a person (agree, or disagree with a reason from the
    # project's error list), with how long it took from the sample being shown. gate_results: each
    # stage's decision with the counts and the threshold it was measured against (a fraction as
    # text, "19/20", so the comparison is exact), and for stage 2 the seed and the samples drawn.
    # qa_settings: the thresholds, sample size, routing limits and the error list, per project;
    # a row id so the lead's edits are undoable like every other change.
    db.executescript(
        """
        ALTER TABLE batches ADD COLUMN phase TEXT NOT NULL DEFAULT 'annotate' CHECK (phase IN ('annotate', 'correct'));
        ALTER TABLE batches ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE batches ADD COLUMN gate_stage INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE qa_settings (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            value TEXT NOT NULL
        );

        CREATE TABLE gate_checks (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            stage INTEGER NOT NULL CHECK (stage IN (1, 2)),
            sample_id INTEGER NOT NULL REFERENCES samples(id),
            checker TEXT NOT NULL,
            agree INTEGER NOT NULL CHECK (agree IN (0, 1)),
            reason TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            seconds REAL,
            created_at TEXT NOT NULL,
            UNIQUE (batch_id, phase, round, stage, sample_id)
        );
        CREATE INDEX gate_checks_by_sample ON gate_checks(sample_id);

        CREATE TABLE gate_results (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES batches(id),
            phase TEXT NOT NULL,
            round INTEGER NOT NULL,
            stage INTEGER NOT NULL CHECK (stage IN (1, 2)),
            checked INTEGER NOT NULL,
            agreed INTEGER NOT NULL,
            threshold TEXT NOT NULL,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            seed INTEGER,
            sample_ids TEXT NOT NULL DEFAULT '[]',
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX gate_results_by_batch ON gate_results(batch_id);
        """
    )


def known_migration_names() -> list[str]:
    return [migration.name for migration in migrations._migrations]


def unknown_applied_migrations(db: Database) -> list[str]:
    """Migrations recorded in the file that this version of Winnow does not have."""
    known = set(known_migration_names())
    return [applied.name for applied in migrations.applied(db) if applied.name not in known]
