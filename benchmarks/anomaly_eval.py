"""Precision, recall, F1 and detection delay of the anomaly detectors, per incident shape.

    .venv/bin/python benchmarks/anomaly_eval.py                 # seed 1, 20 series per shape, hourly
    .venv/bin/python benchmarks/anomaly_eval.py --seed 2        # a second seed: is it overfitted?
    .venv/bin/python benchmarks/anomaly_eval.py --step 5min --series 6

No database: series come from :mod:`analytics.anomaly_synth` (five weeks per agent, two of
warm-up, three labelled incidents of one shape) and go through
:func:`analytics.anomaly.detect_frame` exactly as ``detect`` would call it.

Scoring is event-level, as an operator experiences it. An incident counts as detected when an
alarm on any metric falls inside its window or a short grace after it (the revert of a step
change is part of the incident). Alarms outside every window are false positives, grouped
into episodes (alarms at most ``--merge`` buckets apart are one page, not many). Precision is
true episodes / all episodes; recall is detected incidents / incidents; the delay runs from
the incident's start to its first alarm. ``metric ok`` is the share of detected incidents
with an alarm naming the metric the incident was injected into (a volume break also
moves cost, so cost may alarm first).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from analytics.anomaly import DEFAULT_METRICS, detect_frame
from analytics.anomaly_synth import HOUR_S, SHAPES, LabelledIncident, synthetic_series

STEPS = {"hour": HOUR_S, "5min": 300}


@dataclass
class ShapeScore:
    incidents: int = 0
    detected: int = 0
    metric_ok: int = 0
    true_episodes: int = 0
    false_episodes: int = 0
    delays_h: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.incidents if self.incidents else 0.0

    @property
    def precision(self) -> float:
        episodes = self.true_episodes + self.false_episodes
        return self.true_episodes / episodes if episodes else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _episodes(indices: list[int], merge: int) -> list[list[int]]:
    out: list[list[int]] = []
    for i in sorted(set(indices)):
        if out and i - out[-1][-1] <= merge:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def score_series(
    alarms: dict[int, set[str]],
    incidents: list[LabelledIncident],
    score: ShapeScore,
    *,
    grace: int,
    merge: int,
    per_hour: int,
) -> None:
    """Add one series' alarms (bucket index -> metrics alarmed there) to ``score``."""
    windows = [(inc.start, inc.end + grace) for inc in incidents]
    for inc, (lo, hi) in zip(incidents, windows, strict=True):
        score.incidents += 1
        inside = sorted(i for i in alarms if lo <= i < hi)
        if inside:
            score.detected += 1
            score.delays_h.append(max(inside[0] - inc.start, 0) / per_hour)
            score.metric_ok += any(inc.metric in alarms[i] for i in inside)
    for episode in _episodes(list(alarms), merge):
        if any(lo <= i < hi for i in episode for lo, hi in windows):
            score.true_episodes += 1
        else:
            score.false_episodes += 1


def evaluate(
    seed: int, series: int, step: str, *, sensitivity: str, forest: bool, grace_h: int, merge_h: int
) -> dict[str, ShapeScore]:
    step_s = STEPS[step]
    per_hour = HOUR_S // step_s
    warmup_days = 14
    days = 35 if step == "hour" else 28
    scores: dict[str, ShapeScore] = {}
    for s_idx, shape in enumerate(SHAPES):
        score = scores[shape] = ShapeScore()
        for k in range(series):
            frame, incidents = synthetic_series(
                shape, seed * 100_003 + s_idx * 1_009 + k, days=days, warmup_days=warmup_days, step_s=step_s
            )
            detection = detect_frame(
                frame,
                DEFAULT_METRICS,
                granularity=step,  # type: ignore[arg-type]
                sensitivity=sensitivity,  # type: ignore[arg-type]
                use_forest=forest,
            )
            first = int(frame["bucket"][0].timestamp())
            eval_from = warmup_days * 24 * per_hour
            alarms: dict[int, set[str]] = {}
            for anomaly in detection.anomalies:
                idx = (int(anomaly.bucket.timestamp()) - first) // step_s
                if idx >= eval_from:
                    alarms.setdefault(idx, set()).add(anomaly.metric)
            score_series(
                alarms, incidents, score, grace=grace_h * per_hour, merge=merge_h * per_hour, per_hour=per_hour
            )
    return scores


def print_table(scores: dict[str, ShapeScore], title: str) -> None:
    print(title)
    header = ("shape", "incidents", "detected", "false eps", "precision", "recall", "F1", "median delay h", "metric ok")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for shape, s in scores.items():
        delay = f"{statistics.median(s.delays_h):.1f}" if s.delays_h else "-"
        metric_ok = f"{s.metric_ok / s.detected:.0%}" if s.detected else "-"
        row = (shape, s.incidents, s.detected, s.false_episodes, f"{s.precision:.2f}", f"{s.recall:.2f}")
        print("| " + " | ".join(str(v) for v in (*row, f"{s.f1:.2f}", delay, metric_ok)) + " |")
    f1s = [s.f1 for s in scores.values()]
    print(f"\nmacro F1 {np.mean(f1s):.3f}, min F1 {min(f1s):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--series", type=int, default=20, help="series per shape (3 incidents each)")
    parser.add_argument("--step", choices=sorted(STEPS), default="hour")
    parser.add_argument("--sensitivity", choices=["low", "medium", "high"], default="medium")
    parser.add_argument("--no-forest", action="store_true", help="univariate detectors only")
    parser.add_argument("--grace", type=int, default=6, help="hours after an incident that still count for it")
    parser.add_argument("--merge", type=int, default=3, help="alarms at most this many hours apart are one episode")
    args = parser.parse_args()
    began = time.perf_counter()
    scores = evaluate(
        args.seed,
        args.series,
        args.step,
        sensitivity=args.sensitivity,
        forest=not args.no_forest,
        grace_h=args.grace,
        merge_h=args.merge,
    )
    title = (
        f"anomaly detection, seed {args.seed}, {args.series} series x 3 incidents per shape, "
        f"{args.step} buckets, sensitivity {args.sensitivity}, forest {'off' if args.no_forest else 'on'}"
    )
    print_table(scores, title)
    print(f"({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
