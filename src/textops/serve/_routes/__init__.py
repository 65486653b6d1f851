"""The service's routes, one ``APIRouter`` per area; each reads what it needs from
``app.state.service`` (see ``_state``)."""

from textops.serve._routes import dashboard, health, model, monitor, predict

__all__ = ["dashboard", "health", "model", "monitor", "predict"]
