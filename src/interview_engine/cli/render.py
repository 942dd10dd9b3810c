"""Plain-text rendering of reports and plugin listings for the terminal."""

from __future__ import annotations

import textwrap

from ..models import Report
from ..plugins import PluginInfo


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}/100"


def _coverage(report: Report) -> str:
    c = report.coverage
    if c is None:
        return ""
    return (f"  ({c.planned_scored} of {c.planned} planned questions scored; answered {c.answered}, scored {c.scored}, "
            f"failed {c.failed})")


def report_text(report: Report) -> str:
    lines = [f"Interview report — {report.role} ({report.level}, {report.language})", ""]
    lines.append(f"Overall: {_score(report.overall_score)}{_coverage(report)}")
    for dim in report.dimensions:
        lines.append(f"  {dim.name:<24} {_score(dim.score):>8}  (weight {dim.weight:g}, "
                     f"{dim.evaluated_answers} answers)")
    for title, items in (("Strengths", report.strengths), ("To improve", report.improvements),
                         ("Notes", report.notes)):
        if items:
            lines += ["", f"{title}:"] + [f"  - {item}" for item in items]
    lines += ["", "Questions:"]
    for n, result in enumerate(report.questions, start=1):
        q = result.question
        label = "follow-up" if q.kind == "follow_up" else q.kind
        lines.append(f"{n:>2}. [{label}] {q.text}")
        if result.answer is None:
            lines.append("    (not answered)")
            continue
        lines.append(textwrap.indent(textwrap.fill(result.answer.text, 96), "    > "))
        evaluation = result.evaluation
        if evaluation is not None and evaluation.status == "done":
            scores = ", ".join(f"{s.dimension} {s.score}" for s in evaluation.scores)
            lines.append(f"    score {_score(result.score)} ({scores})")
            if evaluation.feedback:
                lines.append(textwrap.indent(textwrap.fill(evaluation.feedback, 96), "    "))
        elif evaluation is not None and evaluation.status == "failed":
            lines.append(f"    evaluation failed: {evaluation.reason}")
    if report.emotions is not None:
        em = report.emotions
        shares = ", ".join(f"{k} {v:.0%}" for k, v in sorted(em.dominant_share.items(), key=lambda kv: -kv[1]))
        lines += ["", "Expression (shown apart; never part of any score):",
                  f"  {em.samples} samples: {shares or 'no face seen'}"]
        lines += [f"  {s.t:7.1f}s  {s.kind.replace('_', ' ')}" for s in em.proctoring]
        lines.append(f"  {em.note}")
    return "\n".join(lines)


def plugins_text(infos: list[PluginInfo]) -> str:
    lines = []
    for info in infos:
        kind = "built-in" if info.builtin else "plugin"
        lines.append(f"{info.name} {info.version} ({kind})")
        for family, names in sorted(info.providers.items()):
            lines.append(f"  {family}: {', '.join(sorted(names))}")
        other = [h for h in info.hooks if not h.startswith("register_")]
        if other:
            lines.append(f"  hooks: {', '.join(other)}")
    return "\n".join(lines)
