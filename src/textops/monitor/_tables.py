"""The monitoring database's tables (SQLAlchemy Core), and the fast SQLite insert of
predictions the log writer uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textops.monitor._records import STUB_CHARS, PredictionRecord

if TYPE_CHECKING:
    import sqlite3

    import sqlalchemy as sa
    from sqlalchemy.pool import ConnectionPoolEntry

__all__ = [
    "COLUMNS",
    "ROWS_PER_STATEMENT",
    "make_tables",
    "provenance_columns",
    "sqlite_for_a_log",
    "sqlite_insert",
]


def make_tables() -> tuple[sa.MetaData, sa.Table, sa.Table, sa.Table]:
    import sqlalchemy as sa

    md = sa.MetaData()
    predictions = sa.Table(
        "textops_predictions",
        md,
        sa.Column("prediction_id", sa.String(40), primary_key=True),
        sa.Column("ts", sa.Float, nullable=False, index=True),
        sa.Column("model_name", sa.String(200)),
        sa.Column("model_version", sa.String(40)),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("text_chars", sa.Integer, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("probabilities", sa.JSON, nullable=False),
        sa.Column("latency_ms", sa.Float),
    )
    feedback = sa.Table(
        "textops_feedback",
        md,
        sa.Column("prediction_id", sa.String(40), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("ts", sa.Float, nullable=False, index=True),
        # provenance: which key sent it (a fingerprint, never the key), from which client,
        # and whether a person reviewed it (only reviewed labels may score a promotion)
        *provenance_columns(),
    )
    models = sa.Table(
        "textops_models",
        md,
        sa.Column("model_name", sa.String(200), primary_key=True),
        sa.Column("model_version", sa.String(40), primary_key=True),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
    )
    return md, predictions, feedback, models


def provenance_columns() -> list[sa.Column[str | bool]]:
    import sqlalchemy as sa

    return [
        sa.Column("key_id", sa.String(40)),
        sa.Column("client", sa.String(64)),
        sa.Column("reviewed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reviewer", sa.String(120)),
    ]


def sqlite_for_a_log(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    """Write-ahead logging, synced at checkpoints: a commit costs no fsync, readers (the
    dashboard, `monitor report`) do not block the writer, and a crash loses at most the last
    commits (which the service can replay: it spills what the database has not taken)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


COLUMNS = (
    "prediction_id",
    "ts",
    "model_name",
    "model_version",
    "text_sha256",
    "text",
    "text_chars",
    "label",
    "probabilities",
    "latency_ms",
)
#: rows per INSERT statement (10 columns each: under SQLite's bound-variable limit)
ROWS_PER_STATEMENT = 200


def sqlite_insert(conn: sa.Connection, rows: Sequence[PredictionRecord]) -> None:
    """Predictions into SQLite as multi-row INSERT OR IGNORE statements. A row at a time
    (``executemany``), sqlite3 releases and retakes the GIL around every row, and each retake
    waits for the event loop thread of a busy service to let go: one statement per 200 rows
    costs the service a fraction of that."""
    import json

    one = "(" + ",".join("?" * len(COLUMNS)) + ")"
    head = f"INSERT INTO textops_predictions ({','.join(COLUMNS)}) VALUES "
    # a replayed row is ignored; a stub (rebuilt from a signed id) is replaced by the real row
    tail = (
        " ON CONFLICT(prediction_id) DO UPDATE SET "
        + ", ".join(f"{c}=excluded.{c}" for c in COLUMNS[1:])
        + f" WHERE textops_predictions.text_chars = {STUB_CHARS}"
    )
    for lo in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[lo : lo + ROWS_PER_STATEMENT]
        params: list[Any] = []
        for row in chunk:  # in COLUMNS' order
            params += (row["prediction_id"], row["ts"], row["model_name"], row["model_version"],
                       row["text_sha256"], row["text"], row["text_chars"], row["label"],
                       json.dumps(row["probabilities"]), row["latency_ms"])  # fmt: skip
        conn.exec_driver_sql(head + ",".join([one] * len(chunk)) + tail, tuple(params))
