"""A user's own file read and written back with every column as it was: the input and output of
batch prediction (``textops predict --input F --output G``).

CSV and TSV cells stay strings (an id ``007`` is not turned into the number 7), JSONL rows stay
the objects they were (nested values, key order), Parquet keeps its schema. New columns are
appended; a name that is already there is refused, never overwritten or duplicated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textops._option import option
from textops._types import JSON
from textops.data._files import choose_encoding, detect_format, open_binary, read_head
from textops.data._repair import AUTO, SNIFF_BYTES, EncodingGuess, decode_escaped, lone_surrogate
from textops.errors import DataFormatError

__all__ = ["UserTable", "read_table", "write_table"]


@dataclass
class UserTable:
    """Rows of one file: an Arrow table (CSV, TSV, Parquet) or JSON objects (JSONL)."""

    format: str
    columns: list[str]
    arrow: Any = None
    rows: list[JSON] = field(default_factory=list)
    encoding: EncodingGuess | None = None

    @property
    def num_rows(self) -> int:
        return len(self.rows) if self.arrow is None else int(self.arrow.num_rows)

    def column(self, name: str) -> list[object]:
        if self.arrow is not None:
            return list(self.arrow[name].to_pylist())
        return [row.get(name) for row in self.rows]

    def append(self, new: Mapping[str, Sequence[object]]) -> UserTable:
        """This table with ``new`` columns after the existing ones; a name that exists is an
        error (nothing of the user's is overwritten)."""
        clash = [c for c in new if c in self.columns]
        if clash:
            raise DataFormatError(
                f"the input already has column(s) {clash}; give the predictions other names: "
                + option("prefix", "new_")
            )
        if self.arrow is not None:
            import pyarrow as pa

            table = self.arrow
            for name, values in new.items():
                table = table.append_column(name, pa.array(list(values)))
            return UserTable(self.format, [*self.columns, *new], arrow=table)
        rows = [{**row, **{k: v[i] for k, v in new.items()}} for i, row in enumerate(self.rows)]
        return UserTable(self.format, [*self.columns, *new], rows=rows)


def _read_delimited(path: Path, fmt: str, encoding: str, prefer: str | None) -> UserTable:
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = read_head(path)
    chosen = choose_encoding(head, encoding, prefer)
    used = chosen.encoding
    delimiter = "\t" if fmt == "tsv" else ","
    first = head.decode(used, errors="replace").lstrip("\ufeff").splitlines()[:1]
    if not first:
        raise DataFormatError(f"{path}: the file is empty (no header row)")
    header = next(csv.reader(first, delimiter=delimiter))
    if len(set(header)) != len(header):
        raise DataFormatError(f"{path}: the header repeats a column name: {header}")
    source: Any = path
    read_encoding = used.removesuffix("-sig")
    if encoding == AUTO and not used.lower().startswith("utf"):
        # a legacy file read as ingest reads it: bytes its encoding leaves undefined decoded
        # as Windows-1252 (Latin-1), not a failed read (pyarrow's decoder is strict)
        import io

        with open_binary(path) as fh:
            text, _ = decode_escaped(fh.read().decode(used, errors="surrogateescape"))
        source, read_encoding = io.BytesIO(text.encode("utf-8", "surrogatepass")), "utf-8"
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(encoding=read_encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise DataFormatError(
            f"{path}: cannot be read as {fmt} in {used} ({exc}); check the file, or pass "
            "--encoding with the right encoding"
        ) from exc
    return UserTable(fmt, list(table.column_names), arrow=table, encoding=chosen)


def _read_jsonl(path: Path, encoding: str, prefer: str | None) -> UserTable:
    with open_binary(path) as fh:
        data = fh.read()
    chosen = choose_encoding(data[:SNIFF_BYTES], encoding, prefer)
    used = chosen.encoding
    rows: list[JSON] = []
    columns: dict[str, None] = {}
    text = data.decode(used, errors="surrogateescape")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise DataFormatError(f"{path}:{lineno}: invalid JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise DataFormatError(f"{path}:{lineno}: a JSON line must be an object")
        rows.append(obj)
        columns.update(dict.fromkeys(obj))
    return UserTable("jsonl", list(columns), rows=rows, encoding=chosen)


def read_table(path: Path, encoding: str = AUTO, prefer: str | None = None) -> UserTable:
    """Read a CSV, TSV, JSONL or Parquet file (optionally .gz) with every column kept, in
    ``encoding`` (``auto``: see :func:`~textops.data._files.choose_encoding`, ``prefer`` the
    encoding to use for a file that is not Unicode)."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFormatError(f"{path}: not a readable Parquet file ({exc})") from exc
        return UserTable("parquet", list(table.column_names), arrow=table)
    if fmt == "jsonl":
        return _read_jsonl(path, encoding, prefer)
    return _read_delimited(path, fmt, encoding, prefer)


def _json_line(row: JSON) -> str:
    line = json.dumps(row, ensure_ascii=False)
    if lone_surrogate(line) is not None:  # not encodable as UTF-8: keep it escaped, as it came
        line = json.dumps(row, ensure_ascii=True)
    return line


def write_table(table: UserTable, path: Path) -> None:
    """Write ``table`` to ``path`` in the table's own format (UTF-8 for text formats)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fmt = detect_format(path)
    if path.suffix.lower() == ".gz":
        raise DataFormatError(f"{path}: write predictions uncompressed (drop the .gz)")
    if fmt != table.format:
        raise DataFormatError(
            f"{path}: the output must be {table.format} like the input (name it *.{table.format})"
        )
    if fmt == "parquet":
        pq.write_table(table.arrow, path)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in table.rows:
                fh.write(_json_line(row) + "\n")
    else:
        pacsv.write_csv(
            table.arrow,
            path,
            write_options=pacsv.WriteOptions(delimiter="\t" if fmt == "tsv" else ","),
        )
