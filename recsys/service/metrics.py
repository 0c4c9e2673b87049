"""What ``/metrics`` says, in the Prometheus text format: requests and errors per endpoint, a
latency histogram, and each model's version and reloads."""

from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np

__all__ = ["Metrics", "BUCKETS"]

#: latency histogram buckets, seconds
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    """Counters a request updates in a few additions under one lock.

    Examples
    --------
    >>> metrics = Metrics()
    >>> metrics.observe("/recommend", 200, 0.0004)
    >>> 'recsys_requests_total{endpoint="/recommend",status="200"} 1' in metrics.text({})
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.buckets: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(BUCKETS) + 1,
                                                                             np.int64))
        self.seconds: dict[str, float] = defaultdict(float)

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[endpoint, status] += 1
            self.buckets[endpoint][int(np.searchsorted(BUCKETS, seconds))] += 1
            self.seconds[endpoint] += seconds

    def text(self, slots: dict) -> str:
        lines = ["# TYPE recsys_requests_total counter"]
        with self._lock:
            for (endpoint, status), n in sorted(self.requests.items()):
                lines.append(f'recsys_requests_total{{endpoint="{endpoint}",status="{status}"}} {n}')
            lines.append("# TYPE recsys_request_seconds histogram")
            for endpoint, counts in sorted(self.buckets.items()):
                running = np.cumsum(counts)
                for edge, total in zip(BUCKETS, running[:-1], strict=True):
                    lines.append(f'recsys_request_seconds_bucket{{endpoint="{endpoint}",'
                                 f'le="{edge}"}} {total}')
                lines.append(f'recsys_request_seconds_bucket{{endpoint="{endpoint}",le="+Inf"}} '
                             f'{running[-1]}')
                lines.append(f'recsys_request_seconds_sum{{endpoint="{endpoint}"}} '
                             f'{self.seconds[endpoint]:.6f}')
                lines.append(f'recsys_request_seconds_count{{endpoint="{endpoint}"}} {running[-1]}')
        lines.append("# TYPE recsys_model_info gauge")
        for name, slot in slots.items():
            lines.append(f'recsys_model_info{{model="{name}",version="{slot.current.version}",'
                         f'class="{type(slot.current.model).__name__}"}} 1')
            lines.append(f'recsys_model_reloads_total{{model="{name}"}} {slot.reloads}')
            lines.append(f'recsys_model_failed_reloads_total{{model="{name}"}} '
                         f'{slot.failed_reloads}')
        return "\n".join(lines) + "\n"
