"""Run configuration: one frozen pydantic model per run, loaded from YAML, ``key=value`` overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from textops._types import JSON
from textops.errors import ConfigError

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_NODES", "load_config", "parse_overrides", "safe_yaml"]

M = TypeVar("M", bound=BaseModel)

#: a config file larger than this is refused before it is parsed
MAX_YAML_BYTES = 1 << 20
#: values in a config once its aliases are expanded (what a JSON dump of it writes); a
#: "billion laughs" file of a few lines expands to 10^9
MAX_YAML_NODES = 100_000


def _expanded_nodes(value: Any, limit: int) -> int:
    """Values in ``value`` counting every alias again (stops once past ``limit``)."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            break
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def safe_yaml(text: str, what: str) -> object:
    """``text`` parsed as YAML (safe types only), refused when it is over ``MAX_YAML_BYTES``
    or expands to over ``MAX_YAML_NODES`` values through its aliases."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise ConfigError(f"{what} is over {MAX_YAML_BYTES:,} bytes: not a config file")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {exc}") from exc
    if _expanded_nodes(loaded, MAX_YAML_NODES) > MAX_YAML_NODES:
        raise ConfigError(
            f"{what} expands to over {MAX_YAML_NODES:,} values through its aliases (&anchor / "
            "*alias): write the values out, or use fewer aliases"
        )
    return loaded


def parse_overrides(items: Iterable[str]) -> dict[str, object]:
    """Turn ``["a.b=1", "c=[x, y]"]`` into a nested dict; values are parsed as YAML (any YAML
    value: the config they override checks them)."""
    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not key=value; write e.g. min_chars=3")
        value = safe_yaml(raw, f"override {item!r}: the value") if raw.strip() else ""
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r} conflicts with another override of {part!r}")
            node = child
        node[parts[-1]] = value
    return out


def _merge(base: JSON, extra: Mapping[str, Any]) -> JSON:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(
    model: type[M],
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    **values: object,
) -> M:
    """Build ``model`` from (lowest to highest precedence) a YAML file, ``values``, overrides."""
    data: JSON = {}
    if path is not None:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_YAML_BYTES:
                raise ConfigError(f"config file {p} is over {MAX_YAML_BYTES:,} bytes")
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {p} does not exist") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {p} cannot be read: {exc}") from exc
        loaded = safe_yaml(text, f"config file {p}") or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {p} must hold a mapping of keys to values")
        data = loaded
    data = _merge(data, {k: v for k, v in values.items() if v is not None})
    data = _merge(data, parse_overrides(overrides))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid {model.__name__}: {problems}") from exc
