"""gpulab: marimo notebooks for NVIDIA GPUs on one shared, GPU-optional toolkit.

Importing gpulab never needs a GPU, CUDA or any optional library; heavy imports happen inside the
function that needs them.
"""

__version__ = "0.1.0"
