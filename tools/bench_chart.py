#!/usr/bin/env python3
"""Draws BENCHMARKS.md's chart: latency per workload, vlstm next to ONNX Runtime, from JMH JSON results.

    python3 tools/bench_chart.py --cpu 'AMD EPYC Zen 3 (AVX2)' target/jmh-final.json > tools/benchmarks.svg
    python3 tools/bench_chart.py --table target/jmh-final.json     # the Markdown table of BENCHMARKS.md

Standard library only. Bars are medians on a log scale (the workloads span 1 us to 100 ms), labelled with the value
and the ORT / vlstm ratio; one pair of bars per workload and thread count.

JMH's JSON does not say which CPU ran the benchmarks, and results differ a lot between machines, so the chart needs
--cpu: the label goes under the title. With --table, --cpu is optional and, when given, heads the table. The label
is also printed to stderr.
"""
import argparse
import json
import math
import sys
from xml.sax.saxutils import escape


def results(files):
    """{(workload, threads): {system: (median, min, max, alloc B/op or None)}} in file order."""
    rows = {}
    for f in files:
        for r in json.load(open(f)):
            if not r["benchmark"].startswith("dev.vlstm.bench."):   # kernel benchmarks in the same file have no workload
                continue
            name = r["benchmark"].rsplit(".", 1)[1]
            system = "vlstm" if name.startswith("vlstm") else "ONNX Runtime"
            params = r.get("params", {})
            key = (params.get("workload") or "W5_step_h256", int(params.get("threads", 1)))
            m = r["primaryMetric"]
            raw = [v for fork in m.get("rawData", []) for v in fork] or [m["score"]]
            secondary = r.get("secondaryMetrics", {})
            alloc = (secondary.get("gc.alloc.rate.norm") or secondary.get("\u00b7gc.alloc.rate.norm") or {}).get("score")
            rows.setdefault(key, {})[system] = (m["scorePercentiles"]["50.0"], min(raw), max(raw), alloc)
    return dict(sorted(rows.items()))


def medians(files):
    return {f"{w}, {t} thr": {s: v[0] for s, v in sys_.items()} for (w, t), sys_ in results(files).items()}


def number(v):
    return f"{v:,.1f}".replace(",", " ") if v < 1000 else f"{v:,.0f}".replace(",", " ")


def table(files, cpu=None):
    lines = [f"On {cpu}:", ""] if cpu else []
    lines += ["| workload | threads | vlstm µs/op median (min–max) | ONNX Runtime µs/op median (min–max) "
             "| ORT / vlstm | B/op vlstm / ORT |", "|---|---|---|---|---|---|"]
    for (w, t), v in results(files).items():
        cells = []
        for s in ("vlstm", "ONNX Runtime"):
            cells.append(f"{number(v[s][0])} ({number(v[s][1])}–{number(v[s][2])})" if s in v else "—")
        ratio = f"{v['ONNX Runtime'][0] / v['vlstm'][0]:.2f}×" if len(v) == 2 else "—"
        alloc = " / ".join("—" if s not in v or v[s][3] is None else f"{v[s][3]:.1f}" for s in ("vlstm", "ONNX Runtime"))
        lines.append(f"| {w} | {t} | {cells[0]} | {cells[1]} | {ratio} | {alloc} |")
    return "\n".join(lines)


def svg(rows, cpu):
    width, bar, gap, left, top = 860, 14, 16, 230, 56
    height = top + len(rows) * (2 * bar + gap) + 40
    lo, hi = 10.0, 100000.0
    scale = lambda v: left + (width - left - 120) * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="14">Latency per operation, median µs (log scale; lower is better)</text>',
           f'<text x="{left}" y="38">{escape(cpu)}</text>']
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
    parser = argparse.ArgumentParser(description="BENCHMARKS.md's chart or table from JMH JSON results")
    parser.add_argument("--table", action="store_true", help="print the Markdown table instead of the SVG chart")
    parser.add_argument("--cpu", help="the machine the results are from, e.g. 'AMD EPYC Zen 3 (AVX2)'; "
                                      "required for the chart")
    parser.add_argument("files", nargs="+", metavar="JSON", help="JMH result files (-rf json)")
    args = parser.parse_args()
    if args.cpu is not None and not args.cpu.strip():
        parser.error("--cpu is empty")
    if not args.table and args.cpu is None:
        parser.error("the chart needs --cpu: JMH's JSON does not say which CPU ran the benchmarks")
    if args.cpu:
        print(f"cpu: {args.cpu}", file=sys.stderr)
    print(table(args.files, args.cpu) if args.table else svg(medians(args.files), args.cpu))
