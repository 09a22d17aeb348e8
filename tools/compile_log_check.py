#!/usr/bin/env python3
"""Reads a HotSpot -XX:+LogCompilation file and says whether vlstm's vector kernels were compiled with their intrinsics.

    java -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=/tmp/comp.log ...   # any run of a model
    python3 tools/compile_log_check.py /tmp/comp.log

For every C2 (tier 4) compilation rooted in a dev.vlstm method it counts the calls into the Vector API's intrinsic
entry points (jdk.internal.vm.vector.VectorSupport) that C2 intrinsified and those it compiled as plain calls. A vector kernel compiled with all its intrinsics runs
allocation-free; a failure there means boxed vectors (the Vector API's Java fallback). A compilation rooted in a
method other than a VectorKernels kernel that inlines vector intrinsics means a kernel was inlined into the runtime's
own code, which CompileUnitTest forbids. Exit status 1 when any vlstm compilation left a Vector API call unintrinsified, or a kernel inlined elsewhere.

Standard library only. The XML is read as text: each <task ...> ... </task> is one compilation.
"""
import re
import sys
from collections import defaultdict


VECTOR_SUPPORT = "jdk.internal.vm.vector.VectorSupport"


def vector_calls(task):
    """(intrinsified, not) counts of the calls to VectorSupport's methods in one task. C2 intrinsifies such a call
    either at once (<call> then <intrinsic>) or, mostly, late (<call>, <inline_id>, <direct_call> at parse time, then a
    <late_inline> with the same inline id followed by <intrinsic>). A call with neither stays a call: its vectors are
    boxed and the operation runs the Java fallback. Klass and method ids are local to the task."""
    klasses = dict(re.findall(r"<klass id='(\d+)' name='([^']+)'", task))
    holders = {mid: klasses.get(holder, "") for mid, holder in re.findall(r"<method id='(\d+)' holder='(\d+)'", task)}
    late = set(re.findall(r"<late_inline method='\d+'\s+inline_id='(\d+)'>(?:(?!<late_inline).)*?</late_inline>\s*<intrinsic ",
                          task, re.S))
    done = failed = 0
    for call in re.finditer(r"<call method='(\d+)'[^>]*>\s*(?:<inline_id id='(\d+)'/>\s*)?<(\w+)", task):
        if holders.get(call.group(1)) != VECTOR_SUPPORT:
            continue
        if call.group(3) == "intrinsic" or call.group(2) in late:
            done += 1
        else:
            failed += 1
    return done, failed


def compilations(text):
    """(root method as 'Class.method', OSR or not, intrinsified vector calls, failed ones) per tier-4 vlstm task."""
    for task in re.findall(r"<task (.*?)</task>", text, re.S):
        head = task[:task.index(">")]
        method = re.search(r"method='([^']+)'", head)
        level = re.search(r"level='(\d)'", head)          # tier 4 (C2) tasks carry no level attribute
        if not method or not re.match(r"dev[./]vlstm[./]", method.group(1)) or (level and level.group(1) != "4"):
            continue
        holder, name = method.group(1).split()[:2]
        done, failed = vector_calls(task)
        yield re.split(r"[./]", holder)[-1] + "." + name, "osr_bci" in head, done, failed


def main(path):
    rows = defaultdict(lambda: [0, 0, 0])
    for root, osr, used, failed in compilations(open(path, errors="replace").read()):
        r = rows[root + (" (OSR)" if osr else "")]
        r[0] += 1
        r[1] += used
        r[2] += failed
    bad = False
    print("| C2 compilation root | compilations | Vector API calls intrinsified | not intrinsified |")
    print("|---|---|---|---|")
    for root, (n, used, failed) in sorted(rows.items()):
        if used == 0 and failed == 0:
            continue                      # no vector code in this unit: nothing to check
        inlined_kernel = not root.startswith("VectorKernels.")
        bad |= failed > 0 or inlined_kernel
        note = " (a kernel inlined into it)" if inlined_kernel else ""
        print(f"| {root}{note} | {n} | {used} | {failed} |")
    if not rows:
        print("no C2 compilation of a dev.vlstm method in this log", file=sys.stderr)
        return 2
    print("verdict: " + ("PROBLEM (see failures or inlined kernels above)" if bad else
                         "every vector kernel compiled with all its intrinsics"))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: compile_log_check.py COMPILATION_LOG")
    sys.exit(main(sys.argv[1]))
