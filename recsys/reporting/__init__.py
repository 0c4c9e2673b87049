"""HTML reports: the evaluation report (``recsys evaluate --report``) and the experiment
readout (``recsys measure --report``), one self-contained page each."""
from recsys.reporting.evaluation import evaluation_report

__all__ = ["evaluation_report"]
