"""Did the campaign work? Control groups, uplift and the marketing KPIs, measured honestly.

The loop: **assign** each customer of an audience to an arm by a salted hash of their id
(:func:`assign`, or ``make_picks(..., control=0.1, salt=...)``), **plan** the size of the
control group (:func:`sample_size`, :func:`minimum_detectable_effect`), send, then **measure**
each arm's conversion, orders, revenue, order value, repeat rate and picked-product rate
against control with intervals and p-values (:func:`analyze`, ``recsys measure``), with a
sample-ratio check. :func:`simulate_response` draws the orders that follow a send with a known
true uplift, for the demo and for checking the analysis. See docs/experiments.md.

>>> from recsys.experiment import analyze, assign, simulate_response
>>> groups = assign(range(5000), salt="2026-w48", control=0.2)
>>> orders, truth = simulate_response(groups, start="2026-11-24", seed=0)
>>> result = analyze(groups, orders, start="2026-11-24", end="2026-12-08")
>>> list(result.arms.index)
['control', 'treatment']
"""

from recsys.experiment._analysis import METRICS, ExperimentResult, analyze
from recsys.experiment._assign import CONTROL, assign, hash_unit
from recsys.experiment._planning import minimum_detectable_effect, sample_size
from recsys.experiment._simulate import simulate_response

__all__ = ["assign", "hash_unit", "analyze", "ExperimentResult", "METRICS", "CONTROL",
           "sample_size", "minimum_detectable_effect", "simulate_response"]
