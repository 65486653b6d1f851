"""Generation: train a text generator on a corpus (a user's causal-LM folder, or a small
GPT-2 trained from scratch with a byte-level BPE tokenizer), track and register it like a
classifier (champion on validation perplexity), and sample it (or an OpenAI-compatible
endpoint) in batches over temperature x top_p."""

from textops.gen._decoding import Decoding, SamplingDefaults
from textops.gen._endpoint import EndpointGenerator
from textops.gen._eval import GenEvalReport, LabelScorer, SettingScores, evaluate_generations
from textops.gen._eval_report import eval_figure, eval_html, latest_eval, log_eval
from textops.gen._generator import GENERATOR_FILE, Generator, TrainedOn
from textops.gen._llm import LLMClassifier, generate_examples, synthesize, synthesize_missing
from textops.gen._metrics import distinct_n, embedding_diversity, self_bleu
from textops.gen._run import GenTrainReport, load_generator, train_generator
from textops.gen._sample import (
    Generation,
    TextSource,
    read_generations,
    sweep,
    write_generations,
)
from textops.gen._train import GenEpoch, GenTrainConfig, fit_generator, scratch_size

__all__ = [
    "GENERATOR_FILE",
    "Decoding",
    "EndpointGenerator",
    "GenEpoch",
    "GenEvalReport",
    "GenTrainConfig",
    "GenTrainReport",
    "Generation",
    "Generator",
    "LLMClassifier",
    "LabelScorer",
    "SamplingDefaults",
    "SettingScores",
    "TextSource",
    "TrainedOn",
    "distinct_n",
    "embedding_diversity",
    "eval_figure",
    "eval_html",
    "evaluate_generations",
    "fit_generator",
    "generate_examples",
    "latest_eval",
    "load_generator",
    "log_eval",
    "read_generations",
    "scratch_size",
    "self_bleu",
    "sweep",
    "synthesize",
    "synthesize_missing",
    "train_generator",
    "write_generations",
]
