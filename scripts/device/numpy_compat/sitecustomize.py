"""Host shim, device runs only: numba-cuda 0.30.4 on the GPU image references `np.row_stack`,
which numpy 2.5 removed, so `import cudf` fails there. Alias it to `np.vstack` (what it was)."""

import numpy

if not hasattr(numpy, "row_stack"):
    numpy.row_stack = numpy.vstack
