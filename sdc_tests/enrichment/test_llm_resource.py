"""The LLM resource: providers, models per task, the budget, and JSON answers."""

import dagster as dg
import pytest
from pydantic import BaseModel

from sdc_resources.llm import LLM, Budget, BudgetExhausted, llm_from_env, parse_json


class Pair(BaseModel):
    a: int
    b: str


def test_each_provider_gets_its_chat_model_and_a_model_per_task():
    gemini = LLM(provider="gemini", api_key="k", model_simple="gemini-2.0-flash", model_complex="gemini-2.5-pro")
    assert type(gemini.chat("simple")).__name__ == "ChatGoogleGenerativeAI"
    assert gemini.chat("complex").model.endswith("gemini-2.5-pro")
    local = LLM(provider="openai", base_url="http://127.0.0.1:11434/v1", model_simple="llama3.2")
    assert local.chat("simple").model_name == "llama3.2"
    assert local.chat("simple").temperature == 0
    assert not LLM(provider="none").enabled
    assert "none" in LLM(provider="none").describe()
    with pytest.raises(RuntimeError):
        LLM(provider="none").chat("simple")


def test_the_key_comes_from_the_environment_and_never_shows(monkeypatch):
    monkeypatch.setenv("SDC_LLM_API_KEY", "sk-canary-123")
    monkeypatch.setenv("SDC_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SDC_LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    llm = llm_from_env()
    assert isinstance(llm.api_key, dg.EnvVar)
    assert llm.api_key.env_var_name == "SDC_LLM_API_KEY"  # the UI shows the name
    assert llm.provider == "openai"
    assert "sk-canary-123" not in llm.describe()


def test_answers_are_parsed_from_chatter_and_validated():
    assert parse_json('Here you go:\n```json\n{"a": 1, "b": "x"}\n```', Pair) == Pair(a=1, b="x")
    with pytest.raises(ValueError):
        parse_json("no json here", Pair)
    with pytest.raises(ValueError):
        parse_json('{"a": "not a number", "b": "x"}', Pair)


def test_the_budget_counts_calls_and_tokens():
    budget = Budget(max_calls=2, max_tokens=100)
    budget.check()
    budget.charge(60)
    budget.check()
    budget.charge(60)
    with pytest.raises(BudgetExhausted, match="2 calls, 120 tokens"):
        budget.check()
