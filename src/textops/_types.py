"""Names for the two kinds of loosely typed mapping textops passes around on purpose.

* :data:`JSON`: a JSON object. What is read from or written to a JSON file (a manifest, a drift
  reference, an environment lock), logged to MLflow, sent or received over HTTP, or printed by
  ``--json``: its shape is the file's or the API's, documented where it is written.
* :data:`Params`: keyword arguments of an estimator, as a search samples them (``{"C": 0.5,
  "class_weight": None}``): each a :data:`ParamValue`, the values an Optuna trial suggests.

Everything else that crosses a module boundary is a typed object; for the numbers models pass
around, the names below say what they hold:

* :data:`Features`: what an embedder gives and a head takes: a dense float32 matrix (one row
  per text), or a sparse CSR one (TF-IDF, hybrids).
* :data:`Target`: labels as scikit-learn takes them (strings or codes, one per row).
* :data:`RuntimeInfo`: where a model runs, in words (``{"device": "cuda", "torch_threads": 2}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse
    from numpy.typing import ArrayLike

__all__ = ["JSON", "Features", "ParamValue", "Params", "RuntimeInfo", "Target"]

JSON: TypeAlias = dict[str, Any]
ParamValue: TypeAlias = bool | int | float | str | None
Params: TypeAlias = dict[str, ParamValue]
Features: TypeAlias = "np.ndarray | scipy.sparse.spmatrix"
Target: TypeAlias = "ArrayLike"
RuntimeInfo: TypeAlias = dict[str, str | int]
