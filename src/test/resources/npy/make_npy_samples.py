#!/usr/bin/python3
"""Generate the .npy samples that dev.vlstm.cli.NpyReadTest reads.

Run once with Debian's python (it has numpy), from this folder:

    cd src/test/resources/npy && /usr/bin/python3 make_npy_samples.py

The files are committed, so the tests never need Python. Values are simple
formulas the Java tests recompute; the special values in f4_5.npy exercise
exact bit preservation (-0.0, subnormal, inf, NaN).
"""

import numpy as np
from numpy.lib import format as npformat

SAMPLE_3D = (np.arange(24, dtype=np.float32) / 8 - 1).reshape(2, 3, 4)  # i/8 - 1, exact in float32


def save_with_version(name, array, version):
    with open(name, "wb") as f:
        npformat.write_array(f, array, version=version)


np.save("f4_2x3x4.npy", SAMPLE_3D)
np.save("f4_5.npy", np.array([1.5, -0.0, 1e-45, np.inf, np.nan], dtype=np.float32))
np.save("f4_scalar.npy", np.array(3.25, dtype=np.float32))            # shape ()
np.save("f4_0x3.npy", np.zeros((0, 3), dtype=np.float32))             # no elements
np.save("f8_2x3.npy", np.arange(6, dtype=np.float64).reshape(2, 3))  # descr '<f8'
np.save("f4_big_endian_2x3.npy", np.arange(6, dtype=">f4").reshape(2, 3))  # descr '>f4'
np.save("f4_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save_with_version("f4_v2_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3), (2, 0))
save_with_version("f4_v3_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3), (3, 0))
# Token ids (issue 17): int64 as PyTorch's LongTensor.numpy() gives them, int32, and unsigned ids (refused).
np.save("i8_2x3.npy", np.array([[0, 1, 2**40], [-3, 4, 5]], dtype=np.int64))
np.save("i4_2x3.npy", np.array([[0, 1, 2**31 - 1], [-3, 4, 5]], dtype=np.int32))
np.save("u8_2x3.npy", np.arange(6, dtype=np.uint64).reshape(2, 3))   # descr '<u8'
