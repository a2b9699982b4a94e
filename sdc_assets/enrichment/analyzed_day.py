"""Analyzing a day of sessions: a title and summary for each session whose content changed since its analysis,
by the LLM or extracted; linked sessions become analyzed."""

from collections import Counter
from dataclasses import dataclass, field

from sdc_assets.enrichment.analysis import Analysis, extractive, llm_analysis
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_resources.llm import LLM, Budget, BudgetExhausted


@dataclass
class AnalyzedDay:
    """A day's analysis: sessions analyzed now, sessions only promoted, failures, deferrals, methods used."""

    todo: int = 0
    analyzed: list[Session] = field(default_factory=list)
    promoted: list[Session] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    deferred: int = 0
    methods: Counter[str] = field(default_factory=Counter)

    @property
    def done(self) -> list[Session]:
        return self.promoted + self.analyzed


def apply_analysis(session: Session, analysis: Analysis) -> Session:
    """The session with its summary, a title where the source gave none, and the status that follows."""
    insights = session.insights.model_copy(
        update={"title": session.insights.title or analysis.title, "summary": analysis.summary}
    )
    status = SessionStatus.ANALYZED if session.meta.status == SessionStatus.LINKED else session.meta.status
    meta = session.meta.model_copy(update={"status": status, "analyzed_hash": session.meta.content_hash})
    return session.model_copy(update={"insights": insights, "meta": meta})


def _promoted(session: Session) -> Session:
    return session.model_copy(update={"meta": session.meta.model_copy(update={"status": SessionStatus.ANALYZED})})


def analyze_day(sessions: list[Session], reanalyze: bool, llm: LLM, budget: Budget) -> AnalyzedDay:
    """Analyze the sessions whose content changed since their analysis (all with ``reanalyze``); a session
    linked after its analysis is only promoted, nothing is asked again. A session that cannot be analyzed never
    stops its day; one the budget does not reach waits for the next run."""
    day = AnalyzedDay()
    for session in sessions:
        if not reanalyze and session.meta.analyzed_hash == session.meta.content_hash:
            if session.meta.status == SessionStatus.LINKED:
                day.promoted.append(_promoted(session))
            continue
        day.todo += 1
        analysis, method = None, "extractive"
        try:
            if llm.enabled:
                answer = llm_analysis(session, llm, budget)
                analysis, method = answer.value, "llm"
                if analysis is None:
                    day.failures.append({"session_key": session.meta.session_id, "reason": "; ".join(answer.errors)})
                    method = "extractive_after_llm_failure"
            analyzed = apply_analysis(session, analysis or extractive(session))
        except BudgetExhausted:
            day.deferred += 1
            continue
        except Exception as exc:
            reason = f"could not be analyzed: {type(exc).__name__}: {exc}"
            day.failures.append({"session_key": session.meta.session_id, "reason": reason})
            continue
        day.methods[method] += 1
        day.analyzed.append(analyzed)
    return day


def analysis_sample(day: AnalyzedDay, rows: int) -> list[dict]:
    """The first sessions analyzed or promoted, as the UI shows them."""
    return [
        {"source": s.meta.source_system.value, "title": s.insights.title, "summary": (s.insights.summary or "")[:120]}
        for s in day.done[:rows]
    ]
