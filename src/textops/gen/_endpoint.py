"""An OpenAI-compatible chat-completions endpoint as a text source, so an external LLM can be
swept and scored on the same prompts as a textops generator. Always optional: nothing in
textops calls out unless ``--endpoint`` is given; the key comes from an environment variable."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from textops.errors import TextopsError

__all__ = ["EndpointGenerator"]


@dataclass(frozen=True)
class EndpointGenerator:
    url: str  # the API base, e.g. http://127.0.0.1:8080/v1
    model: str
    api_key_env: str | None = "OPENAI_API_KEY"
    timeout: float = 60.0

    def _post(self, body: dict[str, object]) -> str:
        headers = {"content-type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["authorization"] = f"Bearer {key}"
        req = urllib.request.Request(
            self.url.rstrip("/") + "/chat/completions", json.dumps(body).encode(), headers
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answer = json.loads(resp.read())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise TextopsError(f"endpoint {self.url} failed: {exc}") from exc
        try:
            return str(answer["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError) as exc:
            raise TextopsError(f"endpoint {self.url} answered without choices[0].message") from exc

    def generate(
        self,
        prompts: Sequence[str],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        seed: int = 0,
        batch_size: int = 32,
        num_beams: int = 1,
    ) -> list[str]:
        if num_beams > 1:
            from textops.errors import ConfigError

            raise ConfigError("an endpoint decodes as its server does: no --num-beams")
        out = []
        for i, prompt in enumerate(prompts):
            body: dict[str, object] = {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "seed": seed * 100_003 + i,
            }
            for key, value in (("temperature", temperature), ("top_p", top_p),
                               ("max_tokens", max_new_tokens)):  # fmt: skip
                if value is not None:
                    body[key] = value
            out.append(self._post(body))
        return out
