"""The HTTP application: one customer's picks, a cart's add-ons, a product's neighbours and an
explanation, as JSON with the shop's own ids; health, readiness and Prometheus metrics.

Every bad request is a 4xx with the library's own message (never a 500 with a traceback); an
optional bearer token guards every endpoint but ``/healthz``; ``k`` and the request size are
bounded. Models are read through their :class:`~recsys.service.slots.ModelSlot`, so a file
replaced on disk is served as soon as it has loaded, and never before.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pandas as pd

try:  # the serve extra is optional: make_app says how to install it
    from fastapi import FastAPI, Query
    from fastapi.responses import JSONResponse, PlainTextResponse
    from pydantic import BaseModel, Field
except ImportError:
    FastAPI = Query = JSONResponse = PlainTextResponse = None
    BaseModel = object

    def Field(**options: Any) -> Any:  # noqa: N802  (pydantic's name; unused without it)
        return None

from recsys.campaign.reasons import batch_reasons, item_names, reason_texts
from recsys.data.ids import as_id_kind
from recsys.exceptions import DataError, InvalidParameterError, RecsysError, UnknownIdError
from recsys.service.filters import Asked, ProductFilters
from recsys.service.metrics import Metrics
from recsys.service.slots import ModelSlot

__all__ = ["make_app", "MAX_K", "MAX_BODY_BYTES"]

#: the largest k a request may ask for
MAX_K = 1000
#: the largest request body, bytes
MAX_BODY_BYTES = 1 << 20
Id = int | str


class Filters(BaseModel):
    """Business filters a request may carry (over the ``--products`` table)."""

    category: list[str] = Field(default_factory=list)
    exclude_category: list[str] = Field(default_factory=list)
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool = False

    def asked(self) -> Asked:
        return Asked(tuple(self.category), tuple(self.exclude_category), self.min_price,
                     self.max_price, self.in_stock)


class RecommendRequest(Filters):
    """The body of ``POST /recommend``."""

    customer: Id
    k: int = 10
    model: str | None = None
    exclude: list[Id] = Field(default_factory=list)
    reasons: bool = False
    on_unknown: str = "fallback"


class CartRequest(Filters):
    """The body of ``POST /cart`` (and of ``POST /session``: ``items`` newest last)."""

    items: list[Id]
    k: int = 10
    model: str | None = None
    decay: float = 0.5


def make_app(slots: Mapping[str, ModelSlot], *, products: pd.DataFrame | None = None,
             token: str | None = None, reload_seconds: float = 2.0,
             product_id: str = "product_id", category: str | None = "category",
             price: str | None = "price", available: str | None = None) -> FastAPI:
    """The service over ``slots`` (name -> model file; the first is the default model).

    ``products`` (one row per product) gives names to reasons and the ``category``,
    ``price`` and ``available`` columns to the request filters; ``token`` (a bearer token)
    guards every endpoint but ``/healthz``; the files are checked for changes every
    ``reload_seconds`` (0: never).
    """
    if FastAPI is None:
        raise DataError('recsys serve needs the serve extra: python -m pip install -e ".[serve]" '
                        '(FastAPI and uvicorn).')
    if not slots:
        raise InvalidParameterError("serve: give at least one model file.", param="model")
    service = _Service(dict(slots), item_names(products, item=product_id)
                       if products is not None else {},
                       ProductFilters(products, product_id, category, price, available))
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        if reload_seconds > 0:
            threading.Thread(target=_watch, args=(service.slots, reload_seconds, stop),
                             daemon=True, name="recsys-model-reload").start()
        yield
        stop.set()

    app = FastAPI(title="recsys", summary="Recommendations for a shop, with its own ids.",
                  lifespan=lifespan)
    app.add_exception_handler(RecsysError, lambda request, exc: _error(exc))
    app.add_middleware(_Guard, token=token, metrics=metrics)
    _model_routes(app, service)
    _operation_routes(app, service.slots, metrics)
    return app


class _Service:
    """What the endpoints do, on the model slot a request names (the first by default)."""

    def __init__(self, slots: dict[str, ModelSlot], names: Mapping,
                 filters: ProductFilters) -> None:
        self.slots, self.default, self.names = slots, next(iter(slots)), names
        self.filters = filters

    def loaded(self, name: str | None):
        if name is not None and name not in self.slots:
            raise InvalidParameterError(f"no model {name!r} here; the models are "
                                        f"{', '.join(self.slots)}.", param="model")
        return self.slots[name or self.default].current

    def answer(self, recs, loaded, query: Any, reasons: bool = False,
               users: np.ndarray | None = None) -> dict:
        n = int(recs.lengths[0])
        scores = recs.scores[0, :n].astype(float).tolist()
        out = [{"item": _plain(item), "score": score}
               for item, score in zip(recs.item_ids(0), scores, strict=True)]
        if reasons and n:
            for row, text in zip(out, _reasons(loaded.model, recs, users, self.names),
                                 strict=True):
                row["reason"] = text
        return {"query": query, "items": out, "source": str(recs.source[0]),
                "model": loaded.version}

    def recommend(self, customer: Id, k: int, model: str | None, exclude: list,
                  reasons: bool, on_unknown: str, asked: Asked | None = None) -> dict:
        loaded = self.loaded(model)
        fitted = loaded.model
        who = as_id_kind(customer, fitted.users_.kind)
        recs = fitted.recommend([who], k=_k(k), on_unknown=on_unknown,
                                exclude=[as_id_kind(e, fitted.items_.kind) for e in exclude]
                                or None,
                                candidates=self.filters.candidates(fitted, loaded.version,
                                                                   asked or Asked()))
        known = fitted.users_.to_index([who], missing="mask") if len(recs) else None
        users = known if known is not None and known[0] >= 0 else None
        return {"customer": _plain(who), **self.answer(recs, loaded, _plain(who), reasons, users)}

    def products_of(self, body: CartRequest, how: str) -> dict:
        """A cart's (``how="cart"``) or a session's picks."""
        loaded = self.loaded(body.model)
        fitted = loaded.model
        seen = [as_id_kind(i, fitted.items_.kind) for i in body.items]
        allowed = self.filters.candidates(fitted, loaded.version, body.asked())
        recs = fitted.recommend_for_basket(seen, k=_k(body.k), on_unknown="skip",
                                           candidates=allowed) \
            if how == "cart" else fitted.recommend_for_session(seen, k=_k(body.k),
                                                                decay=body.decay,
                                                                candidates=allowed)
        return self.answer(recs, loaded, [_plain(i) for i in seen])


def _model_routes(app: FastAPI, service: _Service) -> None:
    """The endpoints that ask a model."""

    @app.get("/recommend", summary="Picks for one customer")
    def recommend_get(customer: str, k: int = 10, model: str | None = None,
                      exclude: str | None = Query(None, description="comma-separated item ids"),
                      reasons: bool = False, on_unknown: str = "fallback",
                      category: str | None = None, exclude_category: str | None = None,
                      min_price: float | None = None, max_price: float | None = None,
                      in_stock: bool = False) -> JSONResponse:
        asked = Asked(_listed(category), _listed(exclude_category), min_price, max_price,
                      in_stock)
        return JSONResponse(service.recommend(customer, k, model, list(_listed(exclude)),
                                              reasons, on_unknown, asked))

    @app.post("/recommend", summary="Picks for one customer (JSON body)")
    def recommend_post(body: RecommendRequest) -> JSONResponse:
        return JSONResponse(service.recommend(body.customer, body.k, body.model, body.exclude,
                                              body.reasons, body.on_unknown, body.asked()))

    @app.post("/cart", summary="Add-ons for a cart (or a new visitor's products)")
    def cart(body: CartRequest) -> JSONResponse:
        return JSONResponse(service.products_of(body, "cart"))

    @app.post("/session", summary="Picks for an anonymous visitor's session (newest last)")
    def session(body: CartRequest) -> JSONResponse:
        return JSONResponse(service.products_of(body, "session"))

    @app.get("/similar", summary="Products like a product (a product page)")
    def similar(item: str, k: int = 10, model: str | None = None) -> JSONResponse:
        loaded = service.loaded(model)
        product = as_id_kind(item, loaded.model.items_.kind)
        return JSONResponse(service.answer(loaded.model.similar_items([product], k=_k(k)),
                                           loaded, _plain(product)))

    @app.get("/explain", summary="Why a product scores as it does for a customer")
    def explain(customer: str, item: str, model: str | None = None) -> JSONResponse:
        loaded = service.loaded(model)
        fitted = loaded.model
        why = fitted.explain(as_id_kind(item, fitted.items_.kind),
                             user=as_id_kind(customer, fitted.users_.kind))
        return JSONResponse({"item": _plain(why.item), "score": float(why.score),
                             "method": why.method, "text": str(why), "model": loaded.version,
                             "contributions": [[_plain(label), float(weight)]
                                               for label, weight in why.contributions]})


def _operation_routes(app: FastAPI, slots: Mapping[str, ModelSlot], metrics: Metrics) -> None:
    """Health, readiness and metrics."""

    @app.get("/healthz", summary="The process answers")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", summary="Every model is loaded")
    def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready", "models": {
            name: slot.current.version for name, slot in slots.items()}})

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def prometheus() -> str:
        return metrics.text(slots)


def _watch(slots: Mapping[str, ModelSlot], seconds: float, stop: threading.Event) -> None:
    """Reload each model whose file changed, every ``seconds``, until ``stop``."""
    while not stop.wait(seconds):
        for slot in slots.values():
            slot.refresh()


class _Guard:
    """ASGI middleware (not Starlette's BaseHTTPMiddleware, which costs a task a request): the
    bearer token (``/healthz`` is open), the body size, and each request's metrics."""

    def __init__(self, app, token: str | None, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics
        self.expected = None if token is None else f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def sent(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        refusal = self._refusal(scope)
        await (refusal or self.app)(scope, receive, sent)
        self.metrics.observe(scope["path"], status[0], time.perf_counter() - start)

    def _refusal(self, scope) -> JSONResponse | None:
        headers = dict(scope["headers"])
        size = headers.get(b"content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY_BYTES):
            return JSONResponse({"error": f"the request body is larger than {MAX_BODY_BYTES:,} "
                                          f"bytes."}, status_code=413)
        if self.expected is None or scope["path"] == "/healthz":
            return None
        if not hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
            return JSONResponse({"error": "a bearer token is required (Authorization: Bearer "
                                          "...)."}, status_code=401)
        return None


def _error(exc: RecsysError) -> JSONResponse:
    status = 404 if isinstance(exc, UnknownIdError) else 400
    return JSONResponse({"error": str(exc).splitlines()[0], "kind": type(exc).__name__},
                        status_code=status)


def _listed(text: str | None) -> tuple[str, ...]:
    """``"a,b"`` -> ("a", "b")."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise InvalidParameterError(f"k must be between 1 and {MAX_K}, got {k}.", param="k")
    return k


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON writes."""
    return value.item() if isinstance(value, np.generic) else value


def _reasons(model, recs, users: np.ndarray | None, names: Mapping) -> list[str]:
    """A reason for each pick of a known customer; "popular" for the others."""
    n = int(recs.lengths[0])
    if users is None:
        return ["Popular right now"] * n
    codes, anchors = batch_reasons(model, users, recs.item_index[:1])
    return [str(text) for text in reason_texts(codes, anchors, names)[0, :n]]
