"""Bringing every source to a local file ingest can read, with a content hash of what arrived.

A local file is read where it is; a URL (https://, s3://, any fsspec protocol) is copied into
the pipeline's folder; a SQL query's rows are written as JSON lines; a stored dataset is read
from its Parquet file. The hash is what the ingest stage's skip decision compares: a source
whose bytes did not change leaves the ingest (and everything after it) skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from textops._redact import redact_text
from textops.data import DatasetStore, FileSource
from textops.errors import ConfigError, DataFormatError
from textops.pipeline._config import SourceSpec

__all__ = ["Fetched", "fetch_source"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Fetched:
    """A source as a local file: what ingest reads, and the hash of its content."""

    origin: str
    path: Path
    sha256: str
    format: str | None
    text_col: str | None
    label_col: str | None
    id_col: str | None

    def file_source(
        self, encoding: str, labelled: bool = True, *, split: str | None = None,
        yields: bool = False, prefer_encoding: str | None = None,
    ) -> FileSource:  # fmt: skip
        return FileSource(
            self.path,
            format=self.format,
            text_col=self.text_col,
            label_col=self.label_col,
            id_col=self.id_col,
            encoding=encoding,
            labelled=labelled,
            split=split,
            yields=yields,
            prefer_encoding=prefer_encoding,
        )


class _OverBudgetError(Exception):
    """A URL source over its byte or time budget."""


def _copy_hashed(
    src: IO[bytes], dst: Path, max_bytes: int | None = None, max_seconds: float | None = None
) -> str:
    import time

    digest = hashlib.sha256()
    tmp = dst.with_name(dst.name + ".part")
    began, seen = time.monotonic(), 0
    try:
        with tmp.open("wb") as out:
            while chunk := src.read(_CHUNK):
                seen += len(chunk)
                if max_bytes is not None and seen > max_bytes:
                    raise _OverBudgetError(f"it is over max_bytes={max_bytes:,}")
                if max_seconds is not None and time.monotonic() - began > max_seconds:
                    raise _OverBudgetError(f"it took over max_seconds={max_seconds:g} to arrive")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dst)
    return digest.hexdigest()


def _timeouts(protocol: str, seconds: float) -> dict[str, Any]:
    """Storage options that bound how long a silent server can hold a read (the user's own
    options win)."""
    if protocol in ("http", "https"):
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
        return {"client_kwargs": {"timeout": timeout}}
    if protocol in ("s3", "s3a"):
        return {"config_kwargs": {"connect_timeout": seconds, "read_timeout": seconds}}
    return {}


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _local(spec: SourceSpec, base: Path) -> Path:
    p = Path(str(spec.path)).expanduser()
    if p.is_absolute():
        return p
    for candidate in (base / p, Path.cwd() / p):
        if candidate.is_file():
            return candidate
    looked = " and ".join(dict.fromkeys(str(d) for d in (base, Path.cwd())))
    raise DataFormatError(
        f"source {spec.path}: no such file (looked in {looked}); paths are relative to the "
        "pipeline file's folder"
    )


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[-80:] or "source"


def _url(spec: SourceSpec, index: int, into: Path) -> tuple[Path, str]:
    try:
        import fsspec
    except ImportError as exc:
        raise ConfigError(
            "reading URLs needs fsspec (and s3fs for s3://): pip install 'textops[pipeline]'"
        ) from exc
    url = str(spec.path)
    shown = redact_text(url)
    name = PurePosixPath(url.split("?", 1)[0].rstrip("/")).name
    dst = into / f"{index}-{_safe_name(name)}"
    options = {**_timeouts(url.split("://", 1)[0].lower(), spec.timeout), **spec.storage_options}
    try:
        with fsspec.open(url, "rb", **options) as fh:
            digest = _copy_hashed(fh, dst, spec.max_bytes, spec.max_seconds)
    except _OverBudgetError as exc:
        raise DataFormatError(f"source {shown}: refused, {exc}") from None
    except ImportError as exc:
        raise ConfigError(f"source {shown}: {exc}; pip install 'textops[pipeline]'") from exc
    except TimeoutError as exc:
        raise DataFormatError(
            f"source {shown}: the server sent nothing for {spec.timeout:g} s (timeout)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"source {shown}: cannot be read ({redact_text(str(exc))})") from exc
    except Exception as exc:  # client libraries raise their own types (aiohttp, botocore)
        raise DataFormatError(
            f"source {shown}: cannot be read ({type(exc).__name__}: {redact_text(str(exc))})"
        ) from exc
    return dst, digest


def _sql(spec: SourceSpec, index: int, into: Path) -> tuple[Path, str]:
    import sqlalchemy as sa

    assert spec.sql is not None
    dst = into / f"{index}-query.jsonl"
    try:
        engine = sa.create_engine(spec.sql.url)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"sql.url: {exc}") from exc
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn, dst.open("wb") as out:
            result = conn.execution_options(stream_results=True).execute(sa.text(spec.sql.query))
            keys = list(result.keys())
            for row in result:
                line = (
                    json.dumps(
                        dict(zip(keys, row, strict=True)), default=str, ensure_ascii=False
                    ).encode()
                    + b"\n"
                )
                digest.update(line)
                out.write(line)
    except sa.exc.SQLAlchemyError as exc:
        raise DataFormatError(f"sql.query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
    return dst, digest.hexdigest()


def fetch_source(
    spec: SourceSpec, index: int, base: Path, into: Path, home: str | Path | None = None
) -> Fetched:
    """``spec`` as a local file under ``into`` (or where it is), with the hash of its content."""
    into.mkdir(parents=True, exist_ok=True)
    fmt, text, label, ident = spec.format, spec.text_col, spec.label_col, spec.id_col
    if spec.kind == "file":
        path = _local(spec, base)
        digest, origin = _hash_file(path), str(path)
    elif spec.kind == "url":
        path, digest = _url(spec, index, into)
        origin = redact_text(str(spec.path))
    elif spec.kind == "sql":
        path, digest = _sql(spec, index, into)
        fmt, origin = "jsonl", f"sql:{spec.sql.url.split('@')[-1] if spec.sql else ''}"
    else:
        name, _, version = str(spec.dataset).partition("@")
        ds = DatasetStore(home).get(name, version or None)
        dst = into / f"{index}-{name}-{ds.version}.parquet"
        if not dst.exists():
            shutil.copyfile(ds.data_path, dst)
        path, digest, origin = dst, ds.fingerprint, f"dataset:{name}@{ds.version}"
        fmt, text, label, ident = "parquet", "text", "label", "id"
    return Fetched(origin, path, digest, fmt, text, label, ident)
