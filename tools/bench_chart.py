#!/usr/bin/env python3
"""Draws BENCHMARKS.md's chart: latency per workload, vlstm next to ONNX Runtime, from JMH JSON results.

    python3 tools/bench_chart.py target/jmh-final.json target/jmh-step.json > benchmarks.svg

Standard library only. Bars are medians on a log scale (the workloads span 1 us to 10 ms), labelled with the value and
ORT / vlstm ratio.
"""
import json
import math
import sys


def medians(files):
    rows = {}
    for f in files:
        for r in json.load(open(f)):
            name = r["benchmark"].rsplit(".", 1)[1]
            system = "vlstm" if name.startswith("vlstm") else "ONNX Runtime"
            workload = r.get("params", {}).get("workload") or "W5_step"
            rows.setdefault(workload, {})[system] = r["primaryMetric"]["scorePercentiles"]["50.0"]
    return rows


def svg(rows):
    width, bar, gap, left, top = 760, 16, 22, 170, 40
    height = top + len(rows) * (2 * bar + gap) + 40
    lo, hi = 1.0, 20000.0
    scale = lambda v: left + (width - left - 120) * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="14">Latency per operation, median µs (log scale; lower is better)</text>']
    y = top
    for workload, v in rows.items():
        out.append(f'<text x="10" y="{y + bar + 4}">{workload}</text>')
        for i, (system, colour) in enumerate((("vlstm", "#2b7bb9"), ("ONNX Runtime", "#d95f02"))):
            if system not in v:
                continue
            yy = y + i * bar
            out.append(f'<rect x="{left}" y="{yy}" width="{scale(v[system]) - left:.1f}" height="{bar - 2}" fill="{colour}"/>')
            label = f"{system} {v[system]:.1f}"
            if system == "vlstm" and "ONNX Runtime" in v:
                label += f"  (ORT/vlstm {v['ONNX Runtime'] / v[system]:.2f}x)"
            out.append(f'<text x="{scale(v[system]) + 4:.1f}" y="{yy + bar - 4}">{label}</text>')
        y += 2 * bar + gap
    out.append("</svg>")
    return "\n".join(out)


if __name__ == "__main__":
    print(svg(medians(sys.argv[1:])))
