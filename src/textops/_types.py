"""Names for the two kinds of loosely typed mapping textops passes around on purpose.

* :data:`JSON`: a JSON object. What is read from or written to a JSON file (a manifest, a drift
  reference, an environment lock), logged to MLflow, sent or received over HTTP, or printed by
  ``--json``: its shape is the file's or the API's, documented where it is written.
* :data:`Params`: keyword arguments of an estimator, as a search samples them (``{"C": 0.5,
  "class_weight": None}``).

Everything else that crosses a module boundary is a typed object.
"""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["JSON", "Params"]

JSON: TypeAlias = dict[str, Any]
Params: TypeAlias = dict[str, Any]
