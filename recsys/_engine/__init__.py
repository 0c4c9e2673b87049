"""Numeric kernels shared by every layer: sorted-array helpers, CSR rows and top-k, thread
counts, parameter checks and the structural checks of loaded arrays.

Nothing here knows what a customer, a product or a model is, and nothing here imports any
other part of recsys except :mod:`recsys.exceptions`.
"""
