"""The LLM: langchain chat models behind one resource, with a per-run budget and validated JSON answers.

Providers: ``none`` (the default: no calls at all), ``openai`` (any OpenAI-compatible chat-completions
endpoint: OpenAI, Ollama, llama.cpp server, vLLM) and ``gemini``. A cheap model serves simple tasks, a
stronger one complex tasks. Answers must be one JSON object that a pydantic model validates; a bad answer
is asked once more, then given up with the reason. No tools are bound: the model can only answer.
"""

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import dagster as dg
from pydantic import BaseModel, Field, ValidationError

from sdc_resources.redact import redact
from sdc_resources.settings import env, env_int, env_var

T = TypeVar("T", bound=BaseModel)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class BudgetExhausted(Exception):
    """The run's call or token budget is spent; later sessions are left for the next run."""


@dataclass
class Budget:
    """Calls and tokens one run may spend."""

    max_calls: int
    max_tokens: int
    calls: int = 0
    tokens: int = 0

    def charge(self, tokens: int) -> None:
        self.calls += 1
        self.tokens += tokens

    def check(self) -> None:
        if self.calls >= self.max_calls or self.tokens >= self.max_tokens:
            raise BudgetExhausted(f"LLM budget spent: {self.calls} calls, {self.tokens} tokens")


@dataclass
class Answer(Generic[T]):
    """A validated answer, or None with the reasons of each failed attempt."""

    value: T | None
    errors: list[str] = field(default_factory=list)


class LLM(dg.ConfigurableResource):
    """Chat models by provider; the key comes from ``SDC_LLM_API_KEY`` through ``dg.EnvVar``."""

    provider: Literal["none", "openai", "gemini"] = Field(
        default_factory=lambda: env("SDC_LLM_PROVIDER", "none"), description="none | openai | gemini"
    )
    base_url: str | None = Field(
        default_factory=lambda: env("SDC_LLM_BASE_URL"),
        description="An OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama.",
    )
    api_key: str | None = Field(default=None, description="Pass dg.EnvVar('SDC_LLM_API_KEY').")
    model_simple: str = Field(default_factory=lambda: env("SDC_LLM_MODEL_SIMPLE", "gpt-4o-mini"))
    model_complex: str = Field(default_factory=lambda: env("SDC_LLM_MODEL_COMPLEX", "gpt-4o"))
    timeout: float = Field(default=30.0, gt=0, description="Seconds per request.")
    max_retries: int = Field(default=2, ge=0, description="Transport retries (timeouts, 429, 5xx) per request.")
    max_calls_per_run: int = Field(default_factory=lambda: env_int("SDC_LLM_MAX_CALLS", 500), ge=0)
    max_tokens_per_run: int = Field(default_factory=lambda: env_int("SDC_LLM_MAX_TOKENS", 500_000), ge=0)

    @property
    def enabled(self) -> bool:
        return self.provider != "none"

    def describe(self) -> str:
        if not self.enabled:
            return "no LLM (provider none)"
        where = self.base_url or ("Google AI" if self.provider == "gemini" else "api.openai.com")
        return f"{self.provider} at {where}, models {self.model_simple} / {self.model_complex}"

    def budget(self) -> Budget:
        return Budget(self.max_calls_per_run, self.max_tokens_per_run)

    def chat(self, task: Literal["simple", "complex"]):
        """The langchain chat model for a task (temperature 0), built once per configuration."""
        if not self.enabled:
            raise RuntimeError("provider none makes no calls")
        model = self.model_simple if task == "simple" else self.model_complex
        return _chat_model(self.provider, model, self.base_url, self.api_key, self.timeout, self.max_retries)

    def ask(
        self, task: Literal["simple", "complex"], system: str, user: str, schema: type[T], budget: Budget
    ) -> Answer[T]:
        """Ask for one JSON object that ``schema`` validates: a bad answer is asked once more, with the error."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages = [SystemMessage(system), HumanMessage(user)]
        errors: list[str] = []
        model = self.chat(task)
        for _ in range(2):
            budget.check()
            try:
                reply = model.invoke(messages)
            except Exception as exc:  # transport errors after the client's own retries: give up on this item
                budget.charge(0)
                errors.append(redact(f"{type(exc).__name__}: {exc}", [self.api_key])[:300])
                return Answer(None, errors)
            usage = reply.usage_metadata or {}
            budget.charge(int(usage.get("total_tokens") or 0))
            try:
                return Answer(parse_json(str(reply.content), schema), errors)
            except (ValueError, ValidationError) as exc:
                errors.append(redact(f"invalid answer: {exc}", [self.api_key])[:300])
                messages += [AIMessage(str(reply.content)), HumanMessage(f"That was not valid: {exc}. Answer again.")]
        return Answer(None, errors)


@functools.cache
def _chat_model(provider: str, model: str, base_url: str | None, api_key: str | None, timeout: float, retries: int):
    """One client per configuration: its HTTP connection pool is reused by every call of a run."""
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=retries,
            temperature=0,
        )
    from langchain_google_genai import ChatGoogleGenerativeAI

    return ChatGoogleGenerativeAI(model=model, api_key=api_key, timeout=timeout, max_retries=retries, temperature=0)


def parse_json(text: str, schema: type[T]) -> T:
    """The first JSON object in ``text`` (code fences and chatter around it allowed), validated."""
    match = _JSON_OBJECT.search(text)
    if not match:
        raise ValueError(f"no JSON object in the answer: {text[:100]!r}")
    return schema.model_validate(json.loads(match.group(0)))


def llm_from_env() -> LLM:
    return LLM(api_key=env_var("SDC_LLM_API_KEY"))
