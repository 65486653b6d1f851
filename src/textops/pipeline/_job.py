"""A service's retrain, run in a process of its own: ``python -m textops.pipeline._job`` reads
a :class:`textops.monitor.RetrainJob` as JSON on stdin and runs :func:`retrain` with it. The
last line on stderr says why when it fails (the service shows it in ``GET /v1/retrain``)."""

from __future__ import annotations

import logging
import sys

__all__ = ["main"]


def main() -> int:
    from pydantic import ValidationError

    from textops.errors import TextopsError
    from textops.monitor import RetrainJob
    from textops.pipeline._retrain import retrain

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        job = RetrainJob.model_validate_json(sys.stdin.buffer.read())
    except ValidationError as exc:
        why = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'job'}: {e['msg']}" for e in exc.errors()
        )
        print(f"not a retrain job: {why}", file=sys.stderr)
        return 2
    try:
        result = retrain(
            job.model_uri,
            since_seconds=job.since_seconds,
            overrides=job.overrides,
            monitor_url=job.monitor_url,
            tracking_uri=job.tracking_uri,
            home=job.home,
            show_progress=False,
        )
    except TextopsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(result.why, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
