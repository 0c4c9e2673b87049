"""The HTTP application: one customer's picks, a cart's add-ons, a product's neighbours and an
explanation, as JSON with the shop's own ids; health, readiness and Prometheus metrics.

Every bad request is a 4xx with the library's own message (never a 500 with a traceback); an
optional bearer token guards every endpoint but ``/healthz``; ``k`` and the request size are
bounded. Models are read through their :class:`~recsys.service.slots.ModelSlot`, so a file
replaced on disk is served as soon as it has loaded, and never before.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:  # the serve extra is optional: make_app says how to install it
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse
    from pydantic import BaseModel, Field
except ImportError:
    FastAPI = Request = JSONResponse = PlainTextResponse = None
    BaseModel = object

    def Field(**options: Any) -> Any:  # noqa: N802  (pydantic's name; unused without it)
        return None

from recsys.campaign.reasons import batch_reasons, item_names, reason_texts
from recsys.data.ids import as_id_kind
from recsys.exceptions import DataError, InvalidParameterError, RecsysError, UnknownIdError
from recsys.io.tables import read_table
from recsys.service.filters import Asked, ProductFilters
from recsys.service.metrics import Metrics
from recsys.service.query import RECOMMEND_PARAMETERS, QueryParams
from recsys.service.slots import ModelSlot

__all__ = ["make_app", "MAX_K", "MAX_BODY_BYTES"]

log = logging.getLogger("recsys.service")

#: the largest k a request may ask for
MAX_K = 1000
#: the largest request body, bytes (a POST /products table: MAX_PRODUCTS_BYTES)
MAX_BODY_BYTES = 1 << 20
MAX_PRODUCTS_BYTES = 256 << 20
Id = int | str


class Filters(BaseModel):
    """Business filters a request may carry (over the ``--products`` table)."""

    category: list[str] = Field(default_factory=list)
    exclude_category: list[str] = Field(default_factory=list)
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool = False
    max_per_category: int | None = None
    promoted: list[Id] = Field(default_factory=list)
    promoted_slots: int = 1

    def asked(self) -> Asked:
        return Asked(tuple(self.category), tuple(self.exclude_category), self.min_price,
                     self.max_price, self.in_stock, self.max_per_category,
                     tuple(str(p) for p in self.promoted), self.promoted_slots)


class RecommendRequest(Filters):
    """The body of ``POST /recommend``."""

    customer: Id
    k: int = 10
    model: str | None = None
    exclude: list[Id] = Field(default_factory=list)
    reasons: bool = False
    on_unknown: str = "fallback"


class ProductsRequest(BaseModel):
    """The body of ``POST /products``: the new product table, one object per product."""

    products: list[dict[str, Any]] = Field(max_length=1_000_000)


class CartRequest(Filters):
    """The body of ``POST /cart`` (and of ``POST /session``: ``items`` newest last)."""

    items: list[Id]
    k: int = 10
    model: str | None = None
    decay: float = 0.5


def make_app(slots: Mapping[str, ModelSlot], *, products: pd.DataFrame | None = None,
             token: str | None = None, reload_seconds: float = 2.0,
             product_id: str = "product_id", category: str | None = "category",
             price: str | None = "price", available: str | None = None,
             products_file: str | None = None) -> FastAPI:
    """The service over ``slots`` (name -> model file; the first is the default model).

    ``products`` (one row per product) gives names to reasons and the ``category``,
    ``price`` and ``available`` columns to the request filters; ``token`` (a bearer token)
    guards every endpoint but ``/healthz``; the model files (and ``products_file``, where
    ``products`` came from) are checked for changes every ``reload_seconds`` (0: never).
    With a token, ``POST /products`` replaces the product table without touching the models.

    Parameters
    ----------
    slots : mapping of name -> ModelSlot
    products : DataFrame, optional
    token : str, optional
    reload_seconds : float, default 2.0
    product_id, category, price, available : str, optional
        The product table's columns.
    products_file : str, optional
        Where ``products`` came from (re-read when it changes).

    Returns
    -------
    fastapi.FastAPI
        The ASGI application (``recsys serve`` runs it on uvicorn).

    Raises
    ------
    DataError
        The serve extra is not installed.
    InvalidParameterError
        No model.

    Examples
    --------
    >>> import os, tempfile, recsys
    >>> from recsys.service.slots import ModelSlot
    >>> path = os.path.join(tempfile.mkdtemp(), "pop.npz")
    >>> _ = recsys.Popularity().fit(recsys.make_shop(n_customers=50, n_products=10).interactions).save(path)
    >>> import importlib.util
    >>> if importlib.util.find_spec("fastapi"):  # the serve extra
    ...     app = make_app({"default": ModelSlot("default", path)}, reload_seconds=0)
    ...     print("/recommend" in {route.path for route in app.routes})
    ... else:
    ...     print(True)  # without the extra, make_app says how to install it
    True
    """
    if FastAPI is None:
        raise DataError('recsys serve needs the serve extra: python -m pip install -e ".[serve]" '
                        '(FastAPI and uvicorn).')
    if not slots:
        raise InvalidParameterError("serve: give at least one model file.", param="model")
    service = _Service(dict(slots), ProductFilters(None, product_id, category, price,
                                                   available))
    service.use_products(products)
    watched = _WatchedFile(products_file, product_id) if products_file else None
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        if reload_seconds > 0:
            threading.Thread(target=_watch, args=(service, reload_seconds, stop, watched),
                             daemon=True, name="recsys-model-reload").start()
        yield
        stop.set()

    app = FastAPI(title="recsys", summary="Recommendations for a shop, with its own ids.",
                  lifespan=lifespan)
    app.add_exception_handler(RecsysError, lambda request, exc: _error(exc))
    app.add_middleware(_Guard, token=token, metrics=metrics)
    _model_routes(app, service)
    _operation_routes(app, service.slots, metrics)
    _product_routes(app, service, token is not None)
    return app


class _Service:
    """What the endpoints do, on the model slot a request names (the first by default)."""

    def __init__(self, slots: dict[str, ModelSlot], filters: ProductFilters) -> None:
        self.slots, self.default, self.names = slots, next(iter(slots)), {}
        self.filters = filters
        self.product_updates = 0

    def use_products(self, products: pd.DataFrame | None) -> None:
        """Serve ``products`` (names in reasons, the filters' columns) from now on; the
        models stay as they are. A table without the id column is refused."""
        self.filters.replace(products)
        self.names = item_names(products, item=self.filters.item) if products is not None \
            else {}
        self.product_updates += 1

    def loaded(self, name: str | None):
        if name is not None and name not in self.slots:
            raise InvalidParameterError(f"no model {name!r} here; the models are "
                                        f"{', '.join(self.slots)}.", param="model")
        return self.slots[name or self.default].current

    def answer(self, recs, loaded, query: Any, reasons: bool = False,
               users: np.ndarray | None = None) -> dict:
        n = int(recs.lengths[0]) if len(recs) else 0
        index = recs.item_index[0, :n] if n else np.zeros(0, np.int64)
        scores = recs.scores[0, :n] if n else np.zeros(0)
        return self.listed(loaded, query, index, scores, np.zeros(len(index), bool),
                           str(recs.source[0]) if len(recs) else "none",
                           users if reasons else None, reasons)

    def listed(self, loaded, query: Any, index: np.ndarray, scores: np.ndarray,
               promoted: np.ndarray, source: str, users: np.ndarray | None,
               reasons: bool) -> dict:
        """The JSON answer: the products at ``index`` (best first) with their scores; the
        ``promoted`` ones marked, and a reason for each when asked."""
        items = loaded.model.items_.to_ids(index)
        out = [{"item": _plain(item), "score": float(score)}
               for item, score in zip(items, scores, strict=True)]
        for row in np.flatnonzero(promoted):
            out[row]["source"] = "promoted"
        if reasons and len(out):
            texts = _reasons(loaded.model, index, users, self.names)
            for row, text, pushed in zip(out, texts, promoted, strict=True):
                row["reason"] = "Featured product" if pushed else text
        return {"query": query, "items": out, "source": source, "model": loaded.version}

    def recommend(self, customer: Id, k: int, model: str | None, exclude: list,
                  reasons: bool, on_unknown: str, asked: Asked | None = None) -> dict:
        asked, k = asked or Asked(), _k(k)
        loaded = self.loaded(model)
        fitted = loaded.model
        who = as_id_kind(customer, fitted.users_.kind)
        excluded = [as_id_kind(e, fitted.items_.kind) for e in exclude]
        allowed = self.filters.candidates(fitted, loaded.version, asked)
        first, first_scores = self._promoted(fitted, who, asked, allowed, excluded, on_unknown)
        # a per-category cap drops some of the ranked products: rank more, keep k
        wanted = k if asked.max_per_category is None else min(len(fitted.items_), 4 * k + 20)
        recs = fitted.recommend([who], k=wanted, on_unknown=on_unknown,
                                exclude=excluded + list(fitted.items_.to_ids(first)) or None,
                                candidates=allowed)
        n = int(recs.lengths[0]) if len(recs) else 0
        index = np.r_[first, recs.item_index[0, :n] if n else []].astype(np.int64)
        scores = np.r_[first_scores, recs.scores[0, :n] if n else []]
        pushed = np.arange(len(index)) < len(first)
        if asked.max_per_category is not None and len(index):
            keep = self.filters.capped(fitted, loaded.version, index, asked.max_per_category)
            index, scores, pushed = index[keep], scores[keep], pushed[keep]
        known = fitted.users_.to_index([who], missing="mask") if len(recs) else None
        users = known if known is not None and known[0] >= 0 else None
        return {"customer": _plain(who), **self.listed(
            loaded, _plain(who), index[:k], scores[:k], pushed[:k],
            str(recs.source[0]) if len(recs) else "none", users, reasons)}

    def _promoted(self, fitted, who, asked: Asked, allowed, excluded: list, on_unknown: str):
        """The promoted products placed first: up to ``promoted_slots`` of those asked, in the
        order asked, that the filters allow and the customer has not bought (their scores
        the model's). Ids the catalogue lacks are refused: a promotion never silently
        promotes nothing."""
        if not asked.promoted:
            return np.zeros(0, np.int64), np.zeros(0)
        if asked.promoted_slots < 1:
            raise InvalidParameterError(f"promoted_slots must be at least 1, got "
                                        f"{asked.promoted_slots}.", param="promoted_slots")
        ids = [as_id_kind(p, fitted.items_.kind) for p in asked.promoted]
        index = fitted.items_.to_index(ids, missing="mask")
        if (index < 0).any():
            unknown = [i for i, at in zip(ids, index, strict=True) if at < 0]
            raise UnknownIdError(f"promoted product(s) {unknown[:5]} are not in the model's "
                                 f"catalogue; check the ids.")
        # the request's few promoted ids against the allowed and excluded arrays, in numpy:
        # a filtered catalogue is never turned into a Python set per request
        keep = ~np.isin(index, fitted.items_.to_index(excluded, missing="mask")) if excluded \
            else np.ones(len(index), bool)
        if allowed is not None:
            keep &= np.isin(index, fitted.items_.to_index(allowed, missing="mask"))
        pool = [i for i, kept in zip(ids, keep, strict=True) if kept]
        if not pool:
            return np.zeros(0, np.int64), np.zeros(0)
        recs = fitted.recommend([who], k=len(pool), candidates=pool, on_unknown=on_unknown)
        n = int(recs.lengths[0]) if len(recs) else 0
        got, scores = recs.item_index[0, :n], recs.scores[0, :n]
        asked_at = {int(at): rank for rank, at in enumerate(index)}
        order = np.argsort([asked_at[int(at)] for at in got], kind="stable")  # as asked
        return got[order][:asked.promoted_slots], scores[order][:asked.promoted_slots]

    def products_of(self, body: CartRequest, how: str) -> dict:
        """A cart's (``how="cart"``) or a session's picks."""
        loaded = self.loaded(body.model)
        fitted = loaded.model
        seen = [as_id_kind(i, fitted.items_.kind) for i in body.items]
        asked, k = body.asked(), _k(body.k)
        allowed = self.filters.candidates(fitted, loaded.version, asked)
        wanted = k if asked.max_per_category is None else min(len(fitted.items_), 4 * k + 20)
        recs = fitted.recommend_for_basket(seen, k=wanted, on_unknown="skip",
                                           candidates=allowed) \
            if how == "cart" else fitted.recommend_for_session(seen, k=wanted,
                                                                decay=body.decay,
                                                                candidates=allowed)
        n = int(recs.lengths[0]) if len(recs) else 0
        index, scores = recs.item_index[0, :n], recs.scores[0, :n]
        if asked.max_per_category is not None and n:
            keep = self.filters.capped(fitted, loaded.version, index, asked.max_per_category)
            index, scores = index[keep], scores[keep]
        return self.listed(loaded, [_plain(i) for i in seen], index[:k], scores[:k],
                           np.zeros(min(k, len(index)), bool),
                           str(recs.source[0]) if len(recs) else "none", None, False)


def _model_routes(app: FastAPI, service: _Service) -> None:
    """The endpoints that ask a model: ``async`` on purpose, so a request is answered on the
    event loop instead of a thread-pool hand-off (a model answers in a tenth of a
    millisecond, less than the hand-off costs: 1.66x the requests per second, measured).
    Replacing the product table, which can take seconds, stays in the thread pool."""

    @app.get("/recommend", summary="Picks for one customer",
             openapi_extra={"parameters": RECOMMEND_PARAMETERS})
    async def recommend_get(request: Request) -> JSONResponse:
        query = QueryParams(request.query_params)
        asked = Asked(query.listed("category"), query.listed("exclude_category"),
                      query.number("min_price"), query.number("max_price"),
                      query.flag("in_stock"), query.optional_integer("max_per_category"),
                      query.listed("promoted"), query.integer("promoted_slots", 1))
        return JSONResponse(service.recommend(
            query.text("customer", required=True), query.integer("k", 10),
            query.text("model"), list(query.listed("exclude")), query.flag("reasons"),
            query.text("on_unknown", "fallback"), asked))

    @app.post("/recommend", summary="Picks for one customer (JSON body)")
    async def recommend_post(body: RecommendRequest) -> JSONResponse:
        return JSONResponse(service.recommend(body.customer, body.k, body.model, body.exclude,
                                              body.reasons, body.on_unknown, body.asked()))

    @app.post("/cart", summary="Add-ons for a cart (or a new visitor's products)")
    async def cart(body: CartRequest) -> JSONResponse:
        return JSONResponse(service.products_of(body, "cart"))

    @app.post("/session", summary="Picks for an anonymous visitor's session (newest last)")
    async def session(body: CartRequest) -> JSONResponse:
        return JSONResponse(service.products_of(body, "session"))

    @app.get("/similar", summary="Products like a product (a product page)")
    async def similar(item: str, k: int = 10, model: str | None = None) -> JSONResponse:
        loaded = service.loaded(model)
        product = as_id_kind(item, loaded.model.items_.kind)
        return JSONResponse(service.answer(loaded.model.similar_items([product], k=_k(k)),
                                           loaded, _plain(product)))

    @app.get("/explain", summary="Why a product scores as it does for a customer")
    async def explain(customer: str, item: str, model: str | None = None) -> JSONResponse:
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
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", summary="Every model is loaded")
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ready", "models": {
            name: slot.current.version for name, slot in slots.items()}})

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus() -> str:
        return metrics.text(slots)


def _product_routes(app: FastAPI, service: _Service, guarded: bool) -> None:
    """Replacing the product table while the models keep serving."""

    @app.post("/products", summary="Replace the product table (needs the service's token)")
    def products(body: ProductsRequest) -> JSONResponse:
        if not guarded:  # an open service never lets a caller change what it sells
            return JSONResponse({"error": "product updates need a token: start recsys serve "
                                          "with --token."}, status_code=403)
        service.use_products(pd.DataFrame(body.products))
        return JSONResponse({"products": len(body.products),
                             "updates": service.product_updates})


class _WatchedFile:
    """The products file: read again when it changes (a bad file leaves the table served)."""

    def __init__(self, path: str, product_id: str) -> None:
        self.path, self.product_id = Path(path), product_id
        self.stat = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns

    def changed(self) -> pd.DataFrame | None:
        stat = self._stat()
        if stat is None or stat == self.stat:
            return None
        self.stat = stat
        try:
            return read_table(self.path, None, [self.product_id])
        except RecsysError as exc:
            log.warning("products file %s is not loaded (%s); the previous table stays",
                        self.path, str(exc).splitlines()[0])
            return None


def _watch(service: _Service, seconds: float, stop: threading.Event,
           products: _WatchedFile | None) -> None:
    """Reload each model whose file changed, and the products file, every ``seconds``, until
    ``stop``."""
    while not stop.wait(seconds):
        for slot in service.slots.values():
            slot.refresh()
        fresh = products.changed() if products is not None else None
        if fresh is not None:
            try:
                service.use_products(fresh)
            except RecsysError as exc:
                log.warning("products file not used (%s)", str(exc).splitlines()[0])


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
        limit = MAX_PRODUCTS_BYTES if scope["path"] == "/products" else MAX_BODY_BYTES
        if size is not None and (not size.isdigit() or int(size) > limit):
            return JSONResponse({"error": f"the request body is larger than {limit:,} "
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


def _k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise InvalidParameterError(f"k must be between 1 and {MAX_K}, got {k}.", param="k")
    return k


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON writes."""
    return value.item() if isinstance(value, np.generic) else value


def _reasons(model, index: np.ndarray, users: np.ndarray | None, names: Mapping) -> list[str]:
    """A reason for each pick (``index``, best first) of a known customer; "popular" for the
    others."""
    if users is None:
        return ["Popular right now"] * len(index)
    codes, anchors = batch_reasons(model, users, index[None, :])
    return [str(text) for text in reason_texts(codes, anchors, names)[0, :len(index)]]
