"""The monitoring database (SQLAlchemy Core): served predictions and delayed feedback labels.

SQLite under the home by default, any SQLAlchemy URL (PostgreSQL) by ``--monitor-db``. Writes
are idempotent (a record replayed after an outage is not counted twice).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from textops._home import home_dir
from textops._packages import require
from textops._types import JSON
from textops.errors import MonitorUnavailableError
from textops.monitor._records import (
    STUB_CHARS,
    FeedbackRecord,
    FeedbackRow,
    PredictionRecord,
    PredictionRef,
)
from textops.monitor._tables import (
    COLUMNS,
    make_tables,
    provenance_columns,
    sqlite_for_a_log,
    sqlite_insert,
)

__all__ = ["STUB_CHARS", "FeedbackRow", "MonitorStore", "PredictionRef", "default_monitor_url"]


def default_monitor_url(home: str | Path | None = None) -> str:
    return f"sqlite:///{home_dir(home) / 'monitor.db'}"


class MonitorStore:
    """Tables and idempotent batch writes. Every method may raise SQLAlchemy errors when the
    database is down; the buffered writer above handles that."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.url = url
        kw: JSON = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            kw["connect_args"] = {"connect_timeout": 3}
        if url.startswith("postgresql"):
            require("postgres", "a PostgreSQL monitor database", "psycopg")
        self.engine = sa.create_engine(url, **kw)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", sqlite_for_a_log)
        self.metadata, self.predictions, self.feedback, self.models = make_tables()
        self._created = False

    def ensure_schema(self) -> None:
        if not self._created:
            self.metadata.create_all(self.engine)
            self._add_missing_columns()
            self._created = True

    def _add_missing_columns(self) -> None:
        """A database made by an earlier textops: the feedback table gains its provenance
        columns (empty for old rows: unreviewed, source unknown)."""
        import sqlalchemy as sa

        have = {c["name"] for c in sa.inspect(self.engine).get_columns("textops_feedback")}
        missing = [c for c in provenance_columns() if c.name not in have]
        if not missing:
            return
        with self.engine.begin() as conn:
            for col in missing:
                kind = col.type.compile(dialect=self.engine.dialect)
                default = " NOT NULL DEFAULT FALSE" if col.name == "reviewed" else ""
                conn.exec_driver_sql(
                    f"ALTER TABLE textops_feedback ADD COLUMN {col.name} {kind}{default}"
                )

    def _insert(self, table: Any) -> Any:
        name = self.engine.dialect.name
        if name == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        if name == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        import sqlalchemy as sa  # other dialects: plain insert (a replayed id raises)

        return sa.insert(table)

    def write(
        self, predictions: Sequence[PredictionRecord], feedback: Sequence[FeedbackRecord]
    ) -> None:
        """Insert predictions (a replayed id is ignored) and upsert feedback (the latest label
        for a prediction wins; the same feedback twice counts once)."""
        self.ensure_schema()
        with self.engine.begin() as conn:
            if predictions and self.engine.dialect.name == "sqlite":
                sqlite_insert(conn, predictions)
            elif predictions:
                conn.execute(self._predictions_upsert(), list(predictions))
            if feedback:
                self._feedback_upsert(conn, feedback)

    def _predictions_upsert(self) -> Any:
        stmt = self._insert(self.predictions)
        if hasattr(stmt, "on_conflict_do_update"):
            stmt = stmt.on_conflict_do_update(
                index_elements=["prediction_id"],
                set_={c: getattr(stmt.excluded, c) for c in COLUMNS[1:]},
                where=self.predictions.c.text_chars == STUB_CHARS,
            )
        return stmt

    def _feedback_upsert(self, conn: Any, feedback: Sequence[FeedbackRecord]) -> None:
        stmt = self._insert(self.feedback)
        if hasattr(stmt, "on_conflict_do_update"):
            cols = ("label", "ts", "key_id", "client", "reviewed", "reviewer")
            stmt = stmt.on_conflict_do_update(
                index_elements=["prediction_id"],
                set_={c: getattr(stmt.excluded, c) for c in cols},
            )
        rows = [
            {"key_id": None, "client": None, "reviewed": False, "reviewer": None, **row}
            for row in feedback
        ]
        conn.execute(stmt, rows)

    def write_durably(
        self, feedback: Sequence[FeedbackRecord], stubs: Sequence[PredictionRecord]
    ) -> None:
        """Feedback (with stubs of predictions whose rows may have been lost) in one
        transaction that is on disk when this returns: on SQLite the commit is synced (the
        log's own commits are not, to keep predictions fast)."""
        self.ensure_schema()
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            if sqlite:  # a connection setting, changed outside a transaction only
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
            try:
                with conn.begin():
                    if stubs:
                        stmt = self._insert(self.predictions)
                        if hasattr(stmt, "on_conflict_do_nothing"):
                            stmt = stmt.on_conflict_do_nothing(index_elements=["prediction_id"])
                        conn.execute(stmt, list(stubs))
                    self._feedback_upsert(conn, feedback)
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                    conn.commit()

    def record_model(self, name: str | None, version: str | None, labels: Sequence[str]) -> None:
        """The labels of a served model version (what a signed id's label index means)."""
        self.ensure_schema()
        stmt = self._insert(self.models)
        if hasattr(stmt, "on_conflict_do_nothing"):
            stmt = stmt.on_conflict_do_nothing(index_elements=["model_name", "model_version"])
        row = {"model_name": name or "", "model_version": str(version or ""),
               "labels": list(labels), "ts": time.time()}  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(stmt, [row])

    def model_labels(self, name: str | None, version: str | None) -> list[str] | None:
        import sqlalchemy as sa

        m = self.models
        q = sa.select(m.c.labels).where(
            m.c.model_name == (name or ""), m.c.model_version == str(version or "")
        )
        with self._reading() as conn:
            found = conn.execute(q).scalar_one_or_none()
        return None if found is None else [str(x) for x in found]

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Any]:
        """A connection for a read; a database that cannot answer is a MonitorUnavailableError
        (the service answers 503, the CLI a one-line error) rather than a driver exception."""
        import sqlalchemy as sa

        try:
            self.ensure_schema()
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise MonitorUnavailableError(
                f"the monitor database cannot answer ({type(exc).__name__}: {cause}); "
                "check --monitor-db and that the database is up, then retry"
            ) from exc

    def find_predictions(self, ids: Sequence[str]) -> dict[str, PredictionRef]:
        """The ids that exist, with the model, version and label of each."""
        import sqlalchemy as sa

        t = self.predictions
        q = sa.select(t.c.prediction_id, t.c.model_name, t.c.model_version, t.c.label).where(
            t.c.prediction_id.in_(list(ids))
        )
        with self._reading() as conn:
            return {r[0]: PredictionRef(r[1], r[2], r[3]) for r in conn.execute(q)}

    def count(
        self,
        table: str = "predictions",
        *,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> int:
        """Rows of ``table`` (predictions or feedback), of one model (version) when named."""
        import sqlalchemy as sa

        p = self.predictions
        if table == "predictions":
            q = sa.select(sa.func.count()).select_from(p)
        else:
            f = self.feedback
            q = sa.select(sa.func.count()).select_from(
                f.join(p, f.c.prediction_id == p.c.prediction_id)
            )
        q = self._of_model(q, model_name, model_version)
        with self._reading() as conn:
            return int(conn.execute(q).scalar_one())

    def _of_model(self, q: Any, name: str | None, version: str | None) -> Any:
        p = self.predictions
        if name is not None:
            q = q.where(p.c.model_name == name)
        if version is not None:
            q = q.where(p.c.model_version == str(version))
        return q

    def labelled(
        self,
        since: float | None = None,
        limit: int | None = None,
        *,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> list[tuple[str, str, float]]:
        """(predicted, true, feedback time) for predictions with feedback, newest first; of
        one model (version) when named."""
        import sqlalchemy as sa

        p, f = self.predictions, self.feedback
        q = (
            sa.select(p.c.label, f.c.label, f.c.ts)
            .join(f, f.c.prediction_id == p.c.prediction_id)
            .order_by(f.c.ts.desc())
        )
        q = self._of_model(q, model_name, model_version)
        if since is not None:
            q = q.where(f.c.ts >= since)
        if limit is not None:
            q = q.limit(limit)
        with self._reading() as conn:
            return [(r[0], r[1], float(r[2])) for r in conn.execute(q)]

    def labelled_texts(
        self, since: float | None = None, *, model_name: str | None = None
    ) -> list[FeedbackRow]:
        """Predictions with feedback (the text None when it was not logged), oldest first,
        with who sent each label: what retraining learns from."""
        import sqlalchemy as sa

        p, f = self.predictions, self.feedback
        q = (
            sa.select(
                p.c.prediction_id,
                p.c.text,
                f.c.label,
                f.c.ts,
                f.c.key_id,
                f.c.client,
                f.c.reviewed,
                f.c.reviewer,
            )
            .join(f, f.c.prediction_id == p.c.prediction_id)
            .order_by(f.c.ts)
        )
        q = self._of_model(q, model_name, None)
        if since is not None:
            q = q.where(f.c.ts >= since)
        with self._reading() as conn:
            return [
                FeedbackRow(r[0], r[1], r[2], float(r[3]), r[4], r[5], bool(r[6]), r[7])
                for r in conn.execute(q)
            ]

    def recent(
        self,
        since: float | None = None,
        limit: int | None = None,
        *,
        model_name: str | None = None,
        model_version: str | None = None,
    ) -> list[PredictionRecord]:
        """Logged predictions, newest first (for drift and the dashboard); of one model
        (version) when named."""
        import sqlalchemy as sa

        p = self.predictions
        q = self._of_model(sa.select(p).order_by(p.c.ts.desc()), model_name, model_version)
        if since is not None:
            q = q.where(p.c.ts >= since)
        if limit is not None:
            q = q.limit(limit)
        with self._reading() as conn:
            return [cast(PredictionRecord, dict(r._mapping)) for r in conn.execute(q)]

    def unlabelled(
        self, *, model_name: str, model_version: str | None = None, limit: int = 2000
    ) -> list[PredictionRecord]:
        """Logged predictions of one model with their text (serve --log-text) and no feedback
        yet, newest first: what a review queue ranks."""
        import sqlalchemy as sa

        p, f = self.predictions, self.feedback
        q = (
            sa.select(p)
            .outerjoin(f, f.c.prediction_id == p.c.prediction_id)
            .where(f.c.prediction_id.is_(None), p.c.text.is_not(None))
            .order_by(p.c.ts.desc())
            .limit(limit)
        )
        q = self._of_model(q, model_name, model_version)
        with self._reading() as conn:
            return [cast(PredictionRecord, dict(r._mapping)) for r in conn.execute(q)]

    def versions(self, since: float | None = None) -> dict[tuple[str | None, str | None], int]:
        """Predictions per (model name, version) in the log (since ``since``)."""
        import sqlalchemy as sa

        p = self.predictions
        q = sa.select(p.c.model_name, p.c.model_version, sa.func.count()).group_by(
            p.c.model_name, p.c.model_version
        )
        if since is not None:
            q = q.where(p.c.ts >= since)
        with self._reading() as conn:
            return {(r[0], r[1]): int(r[2]) for r in conn.execute(q)}

    def dispose(self) -> None:
        self.engine.dispose()
