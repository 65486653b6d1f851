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
from textops.gen._decoding import Decoding

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
        self, prompts: Sequence[str], decoding: Decoding | None = None, *, seed: int = 0,
        batch_size: int = 32,
    ) -> list[str]:  # fmt: skip
        """The chat API's own sampling parameters; top-k and the repetition penalty as the
        extra parameters vLLM and llama.cpp servers read; beams and n-gram blocking refused
        (no such parameter in the API)."""
        how = decoding or Decoding()
        if how.num_beams > 1 or how.no_repeat_ngram_size:
            from textops.errors import ConfigError

            raise ConfigError("an endpoint decodes as its server does: no --num-beams or "
                              "--no-repeat-ngram-size")  # fmt: skip
        params = {"temperature": how.temperature, "top_p": how.top_p,
                  "max_tokens": how.max_new_tokens, "top_k": how.top_k or None,
                  "repetition_penalty": None if how.repetition_penalty == 1 else
                  how.repetition_penalty}  # fmt: skip
        out = []
        for i, prompt in enumerate(prompts):
            body: dict[str, object] = {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "seed": seed * 100_003 + i,
            }
            body |= {key: value for key, value in params.items() if value is not None}
            out.append(self._post(body))
        return out
