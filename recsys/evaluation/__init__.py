"""How good are the picks: splits of a log into train and test, ranking and beyond-accuracy
metrics, ``evaluate``/``compare`` over fitted models, and the held-out scoring the tuner and
the default Hybrid's self-check share.

This package knows the model interface (``fit``, ``recommend``, ``rank``), never a concrete
model: the model layer may use it to check itself.
"""
from recsys.evaluation import metrics, split  # recsys.evaluation.split.temporal_split works
from recsys.evaluation.evaluator import compare, evaluate

__all__ = ["evaluate", "compare", "metrics", "split"]
