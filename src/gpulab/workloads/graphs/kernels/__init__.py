"""The torch kernels, one algorithm a module, each reading the device CSR (`..csr.Csr`).

Import them from the package above (`gpulab.workloads.graphs.pagerank` is the function); this
package stays empty so a kernel's module and its function never share a name.
"""
