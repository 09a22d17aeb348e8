#!/usr/bin/env python3
"""Disassembles one C2-compiled method from -XX:+PrintAssembly output that has no hsdis (the machine code is printed as
hex words), with binutils' objdump. The loop claims in BENCHMARKS.md and the kernels' comments come from this.

    java --add-modules jdk.incubator.vector -XX:+UnlockDiagnosticVMOptions \\
         -XX:CompileCommand=print,dev.vlstm.kernel.VectorKernels::block6x2 \\
         -jar target/convert.jar bench MODEL.vlstm --seq 100 --batch 64 > /tmp/asm.txt
    tools/jit_disasm.py /tmp/asm.txt block6x2 | less      # the newest C2 compilation of block6x2, Intel syntax

Find the hot loop by its FMAs (vfmadd231ps) and the backward jump that closes it.
"""
import re
import subprocess
import sys
import tempfile


def machine_code(lines, method):
    """The newest C2 compilation of method: (start address, bytes)."""
    starts = [i for i, l in enumerate(lines) if 'Compiled method (c2)' in l and method in l]
    if not starts:
        sys.exit(f"no C2 compilation of '{method}' in the input (was it compiled, and was -XX:CompileCommand=print given?)")
    code, base = bytearray(), None
    for line in lines[starts[-1] + 1:]:
        if 'Compiled method' in line or line.startswith(('[Stub Code]', '[Exception Handler]')):
            break
        m = re.match(r'\s+0x([0-9a-f]+): ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$', line)
        if m:
            base = base if base is not None else int(m.group(1), 16)
            code += bytes.fromhex(re.sub(r'[^0-9a-f]', '', m.group(2)))
    if base is None:
        sys.exit(f"the compilation of '{method}' has no hex machine code (is hsdis installed? then read it directly)")
    return base, code


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], errors='replace') as f:
        base, code = machine_code(f.read().split('\n'), sys.argv[2])
    with tempfile.NamedTemporaryFile(suffix='.bin') as binary:
        binary.write(code)
        binary.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel',
                              f'--adjust-vma={base:#x}', binary.name], capture_output=True, text=True, check=True)
    print(out.stdout)


if __name__ == '__main__':
    main()
