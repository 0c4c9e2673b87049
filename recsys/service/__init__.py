"""The recommendation service over HTTP (``recsys serve``; the ``serve`` extra: FastAPI on
uvicorn): picks for a customer, a cart's add-ons, a product's neighbours and explanations,
with the shop's own ids, health and Prometheus metrics, and model files replaced while it
serves. The application lives in :mod:`recsys.service.app`, the model files it watches in
:mod:`recsys.service.slots`."""
