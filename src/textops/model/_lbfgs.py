"""Logistic regression's objective by L-BFGS on float32 products, for cross-validation on
embeddings and on TF-IDF.

``LogisticRegression(solver="lbfgs")`` minimises, over coefficients ``W`` and intercepts ``b``,

    (1 / S) * sum_i s_i * loss_i(W x_i + b) + ||W||^2 / (2 * C * S)

with ``s_i`` the class weight of row i's class (1 without class weights), ``S`` their sum, and
``loss_i`` the multinomial log loss (more than two classes) or the binomial one on a single
coefficient vector (two classes). On embeddings nearly all of a fit is the two products per
evaluation, ``X @ W.T`` and ``G.T @ X``; sklearn's loss adds about as much again around them
(measured in a one-off profile of a TREC search: 2.0 ms per evaluation, of which 1.1 ms the
products). Here the products are float32 (the embeddings' own type) and the rest is a few
numpy operations on the small ``n x classes`` array, in float64.

Only the search's cross-validation uses it: the deployed head stays a ``LogisticRegression``,
which minimises the same strictly convex objective with the same L-BFGS-B settings, so both give
the same model up to tolerance (``tests/model/test_lbfgs.py`` checks the labels they predict
agree). ``bench/search.py`` prints both solvers' seconds per fit on a TREC fold.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin

from textops._types import Features, Target
from textops.model._f32 import matmul32

__all__ = ["LbfgsLogisticRegression", "minimize_lbfgs"]


def minimize_lbfgs(
    loss_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    maxiter: int,
    gtol: float,
    ftol: float,
    memory: int = 10,
    max_halvings: int = 50,
) -> tuple[np.ndarray, int]:
    """Unconstrained L-BFGS (the two-loop recursion, ``memory`` pairs) with a backtracking
    (Armijo) line search from the unit step; the first step is scaled to unit length. Stops as
    L-BFGS-B does: largest gradient entry <= ``gtol``, or a relative decrease of the objective
    <= ``ftol``, or ``maxiter`` iterations, or no decrease along a direction. Returns the point
    and the iterations run. Every operation is a numpy one on the whole vector (no GIL held)."""
    x = np.array(x0, dtype=np.float64)
    f, g = loss_grad(x)
    pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=memory)
    it = 0
    while it < maxiter and float(np.max(np.abs(g))) > gtol:
        it += 1
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * float(s @ q)
            q -= a * y
            alphas.append(a)
        if pairs:
            s, y, _ = pairs[-1]
            q *= float(s @ y) / float(y @ y)
        else:
            q /= max(float(np.linalg.norm(g)), 1e-12)
        for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
            q += (a - rho * float(y @ q)) * s
        slope = -float(g @ q)
        if slope >= 0:  # not a descent direction (numerics): restart from the gradient
            pairs.clear()
            q = g / max(float(np.linalg.norm(g)), 1e-12)
            slope = -float(g @ q)
        step = 1.0
        for _ in range(max_halvings):
            x_new = x - step * q
            f_new, g_new = loss_grad(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break  # no decrease along this direction: as converged as it gets
        s, y = x_new - x, g_new - g
        sy = float(s @ y)
        if sy > 1e-10 * float(y @ y):  # positive curvature (always, up to rounding: convex)
            pairs.append((s, y, 1.0 / sy))
        decrease = f - f_new
        x, f, g = x_new, f_new, g_new
        if decrease <= ftol * max(abs(f), abs(f + decrease), 1.0):
            break
    return x, it


class LbfgsLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """``LogisticRegression(C, class_weight, max_iter, tol)`` with the lbfgs solver, fitted on
    float32 products; ``warm_start`` starts from ``coef_`` and ``intercept_``."""

    def __init__(
        self,
        *,
        C: float = 1.0,
        class_weight: str | Mapping[str, float] | None = None,
        max_iter: int = 3000,
        tol: float = 1e-4,
        warm_start: bool = False,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    def fit(self, X: Features, y: Target) -> LbfgsLogisticRegression:
        from sklearn.utils.class_weight import compute_class_weight

        if not issparse(X):
            raise TypeError("LbfgsLogisticRegression is for sparse inputs (TF-IDF) only")
        X32 = X.astype(np.float32)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        n, d = X32.shape
        k = len(self.classes_)
        if k < 2:
            raise ValueError("logistic regression needs at least two classes in y")
        cols = 1 if k == 2 else k  # two classes: one coefficient vector, as sklearn
        s = compute_class_weight(self.class_weight, classes=self.classes_, y=np.asarray(y))[codes]
        S = float(s.sum())
        s_over = s / S
        reg = 1.0 / (self.C * S)
        # classes x rows throughout: numpy's reductions over a short last axis are slow
        if cols == 1:
            target = (codes == 1).astype(np.float64)[None, :] * s_over
        else:
            target = np.zeros((k, n))
            target[codes, np.arange(n)] = s_over

        def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            W = theta[: cols * d].reshape(cols, d)
            raw = matmul32(W, X32.T)
            raw += theta[cols * d :, None]
            if cols == 1:
                # log(1 + e^r) - y r per row, and its derivative sigmoid(r) - y
                value = float(s_over @ np.logaddexp(0.0, raw[0])) - float(np.vdot(raw, target))
                G = 0.5 * (1.0 + np.tanh(0.5 * raw)) * s_over - target
            else:
                raw -= raw.max(axis=0)
                G = np.exp(raw)
                Z = G.sum(axis=0)
                # log-sum-exp minus the true class's score per row
                value = float(s_over @ np.log(Z)) - float(np.vdot(raw, target))
                G *= s_over / Z
                G -= target
            value += 0.5 * reg * float(np.vdot(W, W))
            gW = matmul32(G, X32) + reg * W
            return value, np.concatenate([gW.ravel(), G.sum(axis=1)])

        theta0 = np.zeros(cols * (d + 1))
        coef, intercept = getattr(self, "coef_", None), getattr(self, "intercept_", None)
        if (
            self.warm_start
            and coef is not None
            and intercept is not None
            and np.shape(coef) == (cols, d)
            and np.shape(intercept) == (cols,)
        ):
            theta0[: cols * d] = np.ravel(coef)
            theta0[cols * d :] = intercept
        # TF-IDF: coefficients per n-gram (~350k for 6 classes): scipy's L-BFGS-B spends most
        # of a fit in its own update, holding the GIL, so two trial threads run no faster than
        # one; the same method in numpy lets them run side by side (bench/search.py prints the
        # gain, one fit at a time and two at once)
        x, nit = minimize_lbfgs(
            loss_grad, theta0, maxiter=self.max_iter, gtol=self.tol, ftol=64 * np.finfo(float).eps
        )
        self.coef_ = x[: cols * d].reshape(cols, d).copy()
        self.intercept_ = x[cols * d :].copy()
        self.n_iter_ = np.array([nit])
        return self

    def decision_function(self, X: Features) -> np.ndarray:
        raw: np.ndarray = matmul32(X if issparse(X) else np.asarray(X), self.coef_.T)
        raw += self.intercept_
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict(self, X: Features) -> np.ndarray:
        raw = self.decision_function(X)
        idx = (raw > 0).astype(int) if raw.ndim == 1 else raw.argmax(axis=1)
        out: np.ndarray = self.classes_[idx]
        return out
