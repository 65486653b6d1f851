"""How a generator picks its next tokens, as one value shared by ``gen sample``, its sweeps,
``gen eval`` and ``/v1/generate``: greedy (temperature 0), sampling (temperature with top-k
and top-p), beam search, and the two usual cures for loops (a repetition penalty, no repeated
n-grams). Unset fields take the model's defaults."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIN_TEMPERATURE", "Decoding", "SamplingDefaults"]

#: below it, dividing the scores by the temperature overflows them (inf, then nan)
MIN_TEMPERATURE = 0.01


@dataclass(frozen=True)
class SamplingDefaults:
    """What a trained generator decodes with when a request does not say (``generator.json``)."""

    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 64


@dataclass(frozen=True)
class Decoding:
    #: 0: greedy (the most likely token each step); above 0: sampling at this temperature
    temperature: float | None = None
    #: sample from the smallest set of tokens whose probability reaches top_p
    top_p: float | None = None
    #: sample from the k most likely tokens (0: no limit)
    top_k: int = 0
    #: candidate texts kept each step (beam search); the most likely is returned
    num_beams: int = 1
    #: above 1, tokens already in the text are made less likely (Keskar et al., 2019)
    repetition_penalty: float = 1.0
    #: no n-gram of this size appears twice in a text (0: off)
    no_repeat_ngram_size: int = 0
    max_new_tokens: int | None = None

    def __post_init__(self) -> None:
        from textops.errors import ConfigError

        checks = (
            (
                "temperature",
                self.temperature in (None, 0) or MIN_TEMPERATURE <= self.temperature <= 5,
                f"0 for greedy decoding, or {MIN_TEMPERATURE} to 5",
            ),
            ("top_p", self.top_p is None or 0 < self.top_p <= 1, "above 0, at most 1"),
            ("top_k", self.top_k >= 0, "0 (no limit) or more"),
            ("num_beams", 1 <= self.num_beams <= 16, "1 to 16"),
            ("repetition_penalty", 1 <= self.repetition_penalty <= 10, "1 (off) to 10"),
            ("no_repeat_ngram_size", self.no_repeat_ngram_size >= 0, "0 (off) or more"),
            ("max_new_tokens", self.max_new_tokens is None or self.max_new_tokens >= 1, ">= 1"),
        )
        for name, ok, allowed in checks:
            if not ok:
                raise ConfigError(f"{name}: {getattr(self, name)!r} is out of range ({allowed})")

    def resolved(self, defaults: SamplingDefaults) -> Decoding:
        """This decoding with the model's defaults filled in."""
        from dataclasses import replace

        return replace(
            self,
            temperature=defaults.temperature if self.temperature is None else self.temperature,
            top_p=defaults.top_p if self.top_p is None else self.top_p,
            max_new_tokens=self.max_new_tokens or defaults.max_new_tokens,
        )

    def generate_kwargs(self) -> dict[str, float | int | None]:
        """``model.generate`` arguments of a resolved decoding."""
        how: dict[str, float | int | None] = {
            "do_sample": False, "num_beams": self.num_beams, "max_new_tokens": self.max_new_tokens,
        }  # fmt: skip
        if self.num_beams > 1:
            how["early_stopping"] = True  # a beam ends at its end-of-text token
        if self.temperature:
            how |= {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p,
                    "top_k": self.top_k or None}  # fmt: skip
        if self.repetition_penalty != 1:
            how["repetition_penalty"] = self.repetition_penalty
        if self.no_repeat_ngram_size:
            how["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        return how

    @property
    def label(self) -> str:
        """A short name of the setting, e.g. ``t=0.8,p=0.95,k=50,rep=1.2``: the choices
        that differ from plain sampling."""
        parts = [f"t={self.temperature:g}" if self.temperature is not None else "t=default",
                 f"p={self.top_p:g}" if self.top_p is not None else "p=default"]  # fmt: skip
        extra = (
            ("k", self.top_k, 0), ("beams", self.num_beams, 1),
            ("rep", self.repetition_penalty, 1.0), ("ngram", self.no_repeat_ngram_size, 0),
        )  # fmt: skip
        parts += [f"{key}={value:g}" for key, value, off in extra if value != off]
        return ",".join(parts)
