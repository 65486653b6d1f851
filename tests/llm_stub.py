"""A local OpenAI-compatible chat-completions server for tests: it writes topic texts for a
class when asked to, and classifies a text by its topic words. Deterministic; loopback only."""

from __future__ import annotations

import http.server
import json
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import TOPICS


def _answer(prompt: str, seed: int) -> str:
    rng = random.Random(seed)
    wanted = re.search(r'Write (\d+) different.*class "([^"]+)"', prompt, re.S)
    if wanted:
        n, label = int(wanted.group(1)), wanted.group(2)
        words = TOPICS.get(label, "some words about this").split()
        return "\n".join(
            f"{i + 1}. " + " ".join(rng.sample(words, 4)) + f" note {i}" for i in range(n)
        )
    text = prompt.rsplit("Text: ", 1)[-1].split("\n", 1)[0]
    scores = {lab: sum(w in text.split() for w in ws.split()) for lab, ws in TOPICS.items()}
    return max(scores, key=lambda k: scores[k]).capitalize() + "."


@contextmanager
def llm_stub() -> Iterator[tuple[str, list[dict]]]:
    """(API base URL, the request bodies received)."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            seen.append(body)
            prompt = body["messages"][-1]["content"]
            out = {
                "choices": [
                    {
                        "message": {
                            "role": "assistant",
                            "content": _answer(prompt, int(body.get("seed", 0))),
                        }
                    }
                ]
            }
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", seen
    finally:
        server.shutdown()
