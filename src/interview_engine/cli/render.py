"""Plain-text rendering of reports and plugin listings for the terminal.

Every string that came from outside (spec, answers, questions, evaluator output, plugin metadata) goes
through ``visible`` or ``_block``, so it can neither drive the terminal nor fake a line of the report.
"""

from __future__ import annotations

import textwrap

from ..models import Report
from ..plugins import PluginInfo
from .terminal import visible

WIDTH = 96


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}/100"


def _block(text: str, prefix: str) -> str:
    """Free text wrapped to WIDTH and indented; its line breaks and tabs become spaces, like the rest of
    its white space."""
    return textwrap.indent(visible(textwrap.fill(text, WIDTH), keep="\n"), prefix)


def _coverage(report: Report) -> str:
    c = report.coverage
    if c is None:
        return ""
    return (f"  ({c.planned_scored} of {c.planned} planned questions scored; answered {c.answered}, scored {c.scored}, "
            f"failed {c.failed})")


def report_text(report: Report) -> str:
    lines = [f"Interview report — {visible(report.role)} ({report.level}, {report.language})", ""]
    lines.append(f"Overall: {_score(report.overall_score)}{_coverage(report)}")
    for dim in report.dimensions:
        lines.append(f"  {visible(dim.name):<24} {_score(dim.score):>8}  (weight {dim.weight:g}, "
                     f"{dim.evaluated_answers} answers)")
    for title, items in (("Strengths", report.strengths), ("To improve", report.improvements),
                         ("Notes", report.notes)):
        if items:
            lines += ["", f"{title}:"] + [f"  - {visible(item)}" for item in items]
    lines += ["", "Questions:"]
    for n, result in enumerate(report.questions, start=1):
        q = result.question
        label = "follow-up" if q.kind == "follow_up" else q.kind
        lines.append(f"{n:>2}. [{label}] {visible(q.text)}")
        if result.answer is None:
            lines.append("    (not answered)")
            continue
        lines.append(_block(result.answer.text, "    > "))
        evaluation = result.evaluation
        if evaluation is not None and evaluation.status == "done":
            scores = ", ".join(f"{visible(s.dimension)} {s.score}" for s in evaluation.scores)
            lines.append(f"    score {_score(result.score)} ({scores})")
            if evaluation.feedback:
                lines.append(_block(evaluation.feedback, "    "))
        elif evaluation is not None and evaluation.status == "failed":
            lines.append(f"    evaluation failed: {visible(evaluation.reason or '')}")
    if report.emotions is not None:
        em = report.emotions
        shares = ", ".join(f"{visible(k)} {v:.0%}"
                           for k, v in sorted(em.dominant_share.items(), key=lambda kv: -kv[1]))
        lines += ["", "Expression (shown apart; never part of any score):",
                  f"  {em.samples} samples: {shares or 'no face seen'}"]
        lines += [f"  {s.t:7.1f}s  {s.kind.replace('_', ' ')}" for s in em.proctoring]
        lines.append(f"  {visible(em.note)}")
    return "\n".join(lines)


def plugins_text(infos: list[PluginInfo]) -> str:
    lines = []
    for info in infos:
        kind = "built-in" if info.builtin else "plugin"
        lines.append(visible(f"{info.name} {info.version} ({kind})"))
        for family, names in sorted(info.providers.items()):
            lines.append(visible(f"  {family}: {', '.join(sorted(names))}"))
        other = [h for h in info.hooks if not h.startswith("register_")]
        if other:
            lines.append(visible(f"  hooks: {', '.join(other)}"))
    return "\n".join(lines)
