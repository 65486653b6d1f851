"""Loosely typed slots in textops' public signatures, counted by parsing the source.

A public function is a module-level function or a method of a module-level class whose name
does not start with ``_`` (dunder methods count), in any module of the package, private modules
included (their public names are what other modules call). Each annotated parameter and each
return annotation is a slot; a slot is loose when its annotation names ``Any`` or ``JSON``
(``dict[str, Any]``: a mapping read by string key). ``object`` is not loose (a caller must
check what it holds), nor are :data:`textops._types.Params` (values an Optuna trial suggests),
``Features`` and ``Target``.

Usage: python bench/loose_types.py [--list] [--by-file 20]
"""

from __future__ import annotations

import argparse
import ast
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "textops"
LOOSE = frozenset({"Any", "JSON"})


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(node.name):
            if not node.name.startswith("__"):
                found.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for m in node.body:
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and _public(m.name):
                    found.append((f"{node.name}.{m.name}", m))
    return found


def _names(annotation: ast.expr) -> set[str]:
    names = set()
    for n in ast.walk(annotation):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n is annotation:
            names |= {w for w in LOOSE if w in n.value.replace("[", " ").split()}
    return names


def count() -> tuple[int, list[str]]:
    functions, loose = 0, []
    for path in sorted(ROOT.rglob("*.py")):
        for name, fn in _functions(ast.parse(path.read_text())):
            functions += 1
            args = fn.args
            slots = [a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            slots += [a.annotation for a in (args.vararg, args.kwarg) if a is not None]
            slots.append(fn.returns)
            for ann in slots:
                if ann is not None and _names(ann) & LOOSE:
                    where = f"{path.relative_to(ROOT)}:{fn.lineno}"
                    loose.append(f"{where} {name}: {ast.unparse(ann)}")
    return functions, loose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print every loose slot")
    parser.add_argument("--by-file", type=int, default=10, help="files with the most")
    args = parser.parse_args()
    functions, loose = count()
    if args.list:
        print("\n".join(loose))
    by_file = Counter(s.split(":")[0] for s in loose)
    for path, n in by_file.most_common(args.by_file):
        print(f"{n:4d} {path}")
    as_json = sum(1 for s in loose if ".as_json:" in s or ".as_dict:" in s)
    print(
        json.dumps(
            {
                "bench": "loose_types",
                "public_functions": functions,
                "loose_slots": len(loose),
                "of_which_as_json": as_json,
            }
        )
    )


if __name__ == "__main__":
    main()
