"""A finite Newton solver for the linear SVM's objective, for cross-validation on dense inputs.

``LinearSVC`` (liblinear) minimises, one class against the rest,

    0.5 * ||w||^2 + sum_i C_i * max(0, 1 - y_i * (w . x_i + b))^2

with the bias ``b`` as one more regularised feature of value 1 (``intercept_scaling=1``) and
``C_i = C * class_weight[k]`` for the class's own rows, ``C`` for the rest. Its solvers walk
dense inputs through sparse rows, one class at a time. The objective is a piecewise quadratic:
Newton's method on the active rows (Keerthi & DeCoste, 2005, "A modified finite Newton method
for fast solution of large scale linear SVMs") reaches the same minimiser in a few steps, each
a small ``(d+1) x (d+1)`` Cholesky solve, and in fewer from a nearby solution (``warm_start``).
``bench/search.py`` prints both solvers' seconds per fit on a TREC fold (``cv_solvers``).

Only the search's cross-validation uses it: the deployed head stays a ``LinearSVC``, which
minimises the same strictly convex objective, so both give the same model up to tolerance
(``tests/model/test_l2svm.py`` checks the labels they predict agree).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable, Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from textops._types import Features, Target
from textops.model._f32 import matmul32

__all__ = ["NewtonLinearSVC"]


def _gram(rows: np.ndarray) -> np.ndarray:
    out: np.ndarray = (rows.T @ rows).astype(np.float64)
    return out


def _newton(
    X32: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    w: np.ndarray,
    tol: float,
    max_iter: int,
    full: Callable[[], np.ndarray],
) -> tuple[np.ndarray, int]:
    """Minimise 0.5 |w|^2 + sum c_i max(0, 1 - y_i x_i.w)^2 from ``w``; returns (w, steps).

    ``full()`` gives X' diag(2c) X over all rows, for when most rows are active: the Hessian
    is then that minus the few inactive rows. Products go through numpy (``a.T @ a`` is a
    BLAS syrk there too) and the Cholesky factor through ``numpy.linalg``: both release the
    GIL, which scipy's BLAS and LAPACK wrappers hold, so trials in parallel threads run in
    parallel."""
    from scipy.linalg import cho_solve

    d = X32.shape[1]

    def value(v: np.ndarray, margin: np.ndarray) -> float:
        viol = np.maximum(1.0 - y * margin, 0.0)
        return 0.5 * float(v @ v) + float(c @ (viol * viol))

    def gram(rows: np.ndarray) -> np.ndarray:
        # rows of ``X32``: the Hessian only steers the step, which the line search checks
        return _gram(X32[rows] * root_c32[rows, None])

    margin = matmul32(X32, w)
    f = value(w, margin)
    # stop relative to the gradient at w = 0 (as liblinear), so a warm start near the
    # solution stops early instead of chasing a tolerance relative to its own small gradient
    g0 = float(np.linalg.norm(2.0 * matmul32(c * y, X32)))
    # the Hessian's data part X_A' diag(2c_A) X_A over the active rows, updated by the rows
    # that enter or leave the active set between steps (few, after the first)
    S = np.zeros((d, d))
    held = np.zeros(len(y), dtype=bool)
    root_c32 = np.sqrt(2.0 * c).astype(np.float32)
    for step in range(1, max_iter + 1):
        viol = 1.0 - y * margin
        active = viol > 0
        grad = w - 2.0 * matmul32(c * y * np.maximum(viol, 0.0), X32)
        gnorm = float(np.linalg.norm(grad))
        if gnorm <= tol * max(g0, 1e-12) or gnorm < 1e-10:
            return w, step - 1
        added = active & ~held
        removed = held & ~active
        n_active = int(active.sum())
        if int(added.sum() + removed.sum()) > min(n_active, len(y) - n_active):
            # rebuild from whichever is fewer: the inactive rows or the active ones
            S = full() - gram(~active) if 2 * n_active > len(y) else gram(active)
        else:
            if added.any():
                S += gram(added)
            if removed.any():
                S -= gram(removed)
        held = active
        H = S.copy()
        H[np.diag_indices(d)] += 1.0
        direction = cho_solve((np.linalg.cholesky(H), True), -grad, check_finite=False)
        # backtracking (Armijo) on the exact objective; the full step is usually taken
        slope = float(grad @ direction)
        d_margin = matmul32(X32, direction)
        t = 1.0
        while True:
            new_margin = margin + t * d_margin
            new_w = w + t * direction
            new_f = value(new_w, new_margin)
            if new_f <= f + 1e-4 * t * slope:
                break
            if t < 1e-8:  # no descent left at the products' float32 precision
                return w, step
            t *= 0.5
        w, margin, f = new_w, new_margin, new_f
    return w, max_iter


class NewtonLinearSVC(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Scikit-learn style classifier with ``LinearSVC``'s objective (squared hinge, L2,
    one-vs-rest, regularised intercept); dense inputs only. ``coef_`` and ``intercept_`` have
    ``LinearSVC``'s shapes, so a fit can start from another fit's solution (``warm_start``)."""

    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray
    n_iter_: int

    def __init__(
        self,
        C: float = 1.0,
        class_weight: Mapping[str, float] | str | None = None,
        tol: float = 1e-4,
        max_iter: int = 100,
        warm_start: bool = False,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start

    def fit(
        self, X: Features, y: Target, products: dict[Hashable, np.ndarray] | None = None
    ) -> NewtonLinearSVC:
        """``products``: where fits on the same ``X`` keep what depends only on ``X`` (and
        the labels): cross-validation passes one per fold, as it refits each fold with many C
        values (``FoldData.products``); without it, this fit's own."""
        from sklearn.utils.class_weight import compute_class_weight

        memo = {} if products is None else products
        y = np.asarray(y)
        self.classes_, yi = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError("need samples of at least 2 classes")
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)

        def cached(key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
            if key not in memo:
                memo[key] = make()
            out: np.ndarray = memo[key]
            return out

        # the inputs with a column of ones for the (regularised) bias; every product is float32
        # (``matmul32``), margins and gradients are accumulated in float64
        X32 = cached(
            "X32", lambda: np.hstack([np.asarray(X, np.float32), np.ones((len(y), 1), np.float32)])
        )
        labels = hashlib.sha1(np.ascontiguousarray(yi).tobytes()).hexdigest()
        # binary: one problem, classes_[1] positive (as LinearSVC)
        problems = [1] if n_classes == 2 else list(range(n_classes))
        start = None
        if self.warm_start and hasattr(self, "coef_"):
            start = np.hstack([self.coef_, np.asarray(self.intercept_)[:, None]])
        W = np.zeros((len(problems), X32.shape[1]))
        self.n_iter_ = 0

        def full(k: int, cp: float, cn: float) -> np.ndarray:
            # X' diag(2c) X = 2 cn X'X + 2 (cp - cn) X_pos' X_pos
            out = 2.0 * cn * cached("gram", lambda: _gram(X32))
            if cp != cn:
                out += 2.0 * (cp - cn) * cached(("gram", labels, k), lambda: _gram(X32[yi == k]))
            return out

        for row, k in enumerate(problems):
            pos = yi == k
            sign = np.where(pos, 1.0, -1.0)
            if n_classes == 2:
                cp, cn = self.C * weights[1], self.C * weights[0]
            else:
                cp, cn = self.C * weights[k], self.C
            c = np.where(pos, cp, cn)
            w0 = start[row].copy() if start is not None else np.zeros(X32.shape[1])
            W[row], steps = _newton(
                X32, sign, c, w0, self.tol, self.max_iter, functools.partial(full, k, cp, cn)
            )
            self.n_iter_ = max(self.n_iter_, steps)
        self.coef_ = W[:, :-1]
        self.intercept_ = W[:, -1].copy()
        return self

    def decision_function(self, X: Features) -> np.ndarray:
        scores: np.ndarray = np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Features) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.asarray(self.classes_[(scores > 0).astype(int)])
        return np.asarray(self.classes_[np.argmax(scores, axis=1)])
