"""recsys serve, started for real (uvicorn in its own process) and asked over HTTP: every
endpoint, ids of both kinds, unknown ids, bad requests as 4xx, the token, and a model file
replaced while it serves (a good one swapped in, a damaged one refused)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import recsys

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TOKEN = "test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(base: str, path: str, body: dict | bytes | None = None, token: str | None = TOKEN,
          headers: dict | None = None) -> tuple[int, object]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    shop = recsys.make_shop(n_customers=400, n_products=60, seed=2)
    recsys.ItemKNN().fit(shop.interactions).save(folder / "knn.npz")
    text_ids = shop.orders.assign(customer_id="c" + shop.orders["customer_id"].astype(str))
    recsys.Popularity().fit(recsys.Interactions.from_frame(
        text_ids, user="customer_id", item="product_id")).save(folder / "pop.npz")
    shop.products.to_csv(folder / "products.csv", index=False)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recsys", "serve", "--model", str(folder / "knn.npz"),
         "--model", f"pop={folder / 'pop.npz'}", "--port", str(port), "--token", TOKEN,
         "--reload-seconds", "0.2", "--products", str(folder / "products.csv"),
         "--available-col", "in_stock"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if _call(base, "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield base, folder, shop, process
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0  # a graceful stop on SIGTERM


def test_picks_for_customers_with_ids_of_both_kinds(server):
    base, _, shop, _ = server
    customer = int(shop.interactions.users.ids[0])
    status, answer = _call(base, f"/recommend?customer={customer}&k=4&reasons=true")
    assert status == 200 and answer["customer"] == customer and len(answer["items"]) == 4
    assert all("reason" in row and isinstance(row["item"], str) for row in answer["items"])
    model = recsys.load(server[1] / "knn.npz")
    assert [r["item"] for r in answer["items"]] == model.recommend(customer, k=4).item_ids()
    status, posted = _call(base, "/recommend", {"customer": customer, "k": 4})
    assert status == 200 and posted["items"] == [{k: v for k, v in r.items() if k != "reason"}
                                                 for r in answer["items"]]
    status, text = _call(base, f"/recommend?customer=c{customer}&k=3&model=pop")
    assert status == 200 and text["customer"] == f"c{customer}" and len(text["items"]) == 3


def test_business_filters_at_request_time(server):
    base, _, shop, _ = server
    products = shop.products.set_index("product_id")
    customer = int(shop.interactions.users.ids[2])
    category = products["category"].value_counts().index[0]
    status, kept = _call(base, f"/recommend?customer={customer}&k=5&category={category}")
    assert status == 200 and kept["items"]
    assert {products.loc[r["item"], "category"] for r in kept["items"]} == {category}
    status, banded = _call(base, f"/recommend?customer={customer}&k=8&min_price=5&max_price=20"
                                 f"&in_stock=true&exclude_category={category}")
    assert status == 200 and banded["items"]
    for row in banded["items"]:
        product = products.loc[row["item"]]
        assert 5 <= product["price"] <= 20 and product["in_stock"]
        assert product["category"] != category
    status, posted = _call(base, "/recommend", {"customer": customer, "k": 5,
                                                "category": [category]})
    assert status == 200 and [r["item"] for r in posted["items"]] == \
        [r["item"] for r in kept["items"]]
    items = shop.interactions.items.ids[:2].tolist()
    status, cart = _call(base, "/cart", {"items": items, "k": 4, "in_stock": True})
    assert status == 200 and all(products.loc[r["item"], "in_stock"] for r in cart["items"])


def test_a_filter_without_its_column_is_refused_naming_the_option(shop):
    from recsys.exceptions import InvalidParameterError
    from recsys.service.filters import Asked, ProductFilters

    model = recsys.Popularity().fit(shop.interactions)
    filters = ProductFilters(shop.products, "product_id", "category", "price", None)
    with pytest.raises(InvalidParameterError, match="--available-col") as error:
        filters.candidates(model, "v1", Asked(in_stock=True))
    assert error.value.param == "in_stock"
    assert filters.candidates(model, "v1", Asked()) is None


def test_carts_product_pages_and_explanations(server):
    base, _, shop, _ = server
    items = shop.interactions.items.ids[:2].tolist()
    status, cart = _call(base, "/cart", {"items": items, "k": 3})
    assert status == 200 and len(cart["items"]) == 3
    assert not {r["item"] for r in cart["items"]} & set(items)
    status, visit = _call(base, "/session", {"items": items + ["never-sold"], "k": 3})
    assert status == 200 and len(visit["items"]) == 3
    assert _call(base, "/session", {"items": items, "decay": 2.0})[0] == 400
    status, similar = _call(base, f"/similar?item={items[0]}&k=3")
    assert status == 200 and len(similar["items"]) == 3
    customer = int(shop.interactions.users.ids[0])
    pick = _call(base, f"/recommend?customer={customer}&k=1")[1]["items"][0]
    status, why = _call(base, f"/explain?customer={customer}&item={pick['item']}")
    assert status == 200 and abs(why["score"] - pick["score"]) < 1e-4 and why["method"]


def test_unknown_ids_and_bad_requests_are_4xx_with_the_librarys_message(server):
    base, _, _, _ = server
    assert _call(base, "/recommend?customer=999999&on_unknown=raise")[0] == 404
    status, fallback = _call(base, "/recommend?customer=999999&k=3")
    assert status == 200 and fallback["source"] == "popularity"
    status, error = _call(base, "/recommend?customer=1&k=100000")
    assert status == 400 and "k must be between" in error["error"]
    assert _call(base, "/recommend?customer=1&model=nope")[0] == 400
    assert _call(base, "/recommend", b"{not json")[0] == 422
    assert _oversized(base) == 413
    assert _call(base, "/cart", {"items": "P0001"})[0] == 422
    assert _call(base, "/recommend?customer=1", token=None)[0] == 401
    assert _call(base, "/recommend?customer=1", token="wrong")[0] == 401
    assert _call(base, "/healthz", token=None)[0] == 200


def _oversized(base: str) -> int:
    """The status of a POST declaring a 2 MB body (refused on its header, before reading it:
    sending the bytes would race the server closing the connection)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/recommend")
    connection.putheader("authorization", f"Bearer {TOKEN}")
    connection.putheader("content-type", "application/json")
    connection.putheader("content-length", "2000000")
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_metrics_and_readiness(server):
    base, _, _, _ = server
    status, ready = _call(base, "/readyz")
    assert status == 200 and set(ready["models"]) == {"default", "pop"}
    status, text = _call(base, "/metrics")
    assert status == 200 and 'recsys_requests_total{endpoint="/recommend",status="200"}' in text
    assert "recsys_request_seconds_bucket" in text and "recsys_model_info" in text


def test_a_replaced_model_file_is_served_once_loaded_and_a_damaged_one_refused(server):
    base, folder, shop, _ = server
    before = _call(base, "/readyz")[1]["models"]["default"]
    fresh = folder / "fresh.npz"
    recsys.EASE().fit(shop.interactions).save(fresh)
    os.replace(fresh, folder / "knn.npz")  # as recsys writes files: whole, in one rename
    customer = int(shop.interactions.users.ids[1])
    for _ in range(50):
        status, answer = _call(base, f"/recommend?customer={customer}&k=3")
        assert status == 200  # never a failed request while the file changes
        if answer["model"] != before:
            break
        time.sleep(0.1)
    assert answer["model"] != before and answer["source"] == "EASE"
    damaged = folder / "damaged.npz"
    damaged.write_bytes((folder / "knn.npz").read_bytes()[:5000])
    os.replace(damaged, folder / "knn.npz")
    time.sleep(1.0)
    status, still = _call(base, f"/recommend?customer={customer}&k=3")
    assert status == 200 and still["model"] == answer["model"]
    assert 'recsys_model_failed_reloads_total{model="default"} 1' in _call(base, "/metrics")[1]


def test_category_caps_and_promoted_products_at_request_time(server):
    base, _, shop, _ = server
    products = shop.products.set_index("product_id")
    customer = int(shop.interactions.users.ids[3])
    status, capped = _call(base, f"/recommend?customer={customer}&k=8&max_per_category=1")
    assert status == 200 and len(capped["items"]) >= 2
    categories = [products.loc[r["item"], "category"] for r in capped["items"]]
    assert len(categories) == len(set(categories))  # one per category
    plain = _call(base, f"/recommend?customer={customer}&k=40")[1]["items"]
    firsts = []  # the model's order, each category's best only
    for row in plain:
        if products.loc[row["item"], "category"] not in {products.loc[i, "category"]
                                                         for i in firsts}:
            firsts.append(row["item"])
    assert [r["item"] for r in capped["items"]] == firsts[:len(capped["items"])]
    bought = set(shop.orders.loc[shop.orders["customer_id"] == customer, "product_id"])
    fresh = [i for i in shop.interactions.items.ids.tolist() if i not in bought]
    promoted = [fresh[-1], fresh[-2], fresh[-3]]
    status, pushed = _call(base, f"/recommend?customer={customer}&k=5&promoted="
                                 f"{','.join(promoted)}&promoted_slots=2&reasons=true")
    assert status == 200 and [r["item"] for r in pushed["items"][:2]] == promoted[:2]
    assert [r.get("source") for r in pushed["items"][:3]] == ["promoted", "promoted", None]
    assert pushed["items"][0]["reason"] == "Featured product"
    rest = [r["item"] for r in pushed["items"][2:]]
    unpushed = _call(base, f"/recommend?customer={customer}&k=8")[1]["items"]
    assert rest == [r["item"] for r in unpushed if r["item"] not in promoted[:2]][:3]
    status, posted = _call(base, "/recommend", {"customer": customer, "k": 5,
                                                "promoted": promoted, "promoted_slots": 2})
    assert [r["item"] for r in posted["items"]] == [r["item"] for r in pushed["items"]]
    status, error = _call(base, f"/recommend?customer={customer}&promoted=no-such-product")
    assert status == 404 and "no-such-product" in error["error"]
    assert _call(base, f"/recommend?customer={customer}&max_per_category=0")[0] == 400


def test_the_product_table_is_replaced_without_touching_the_model(server):
    base, folder, shop, _ = server
    customer = int(shop.interactions.users.ids[2])
    model_before = _call(base, "/readyz")[1]["models"]["default"]
    renamed = shop.products.assign(category="all-in-one")
    rows = json.loads(renamed.to_json(orient="records", date_format="iso"))
    assert _call(base, "/products", {"products": rows}, token=None)[0] == 401
    status, done = _call(base, "/products", {"products": rows})
    assert status == 200 and done["products"] == len(rows)
    status, kept = _call(base, f"/recommend?customer={customer}&k=5&category=all-in-one")
    assert status == 200 and len(kept["items"]) == 5 and kept["model"] == model_before
    assert _call(base, "/products", {"products": [{"sku": 1}]})[0] == 400  # no id column
    # the products file replaced on disk is read again (as recsys writes files: one rename)
    staged = folder / "products.next.csv"
    shop.products.assign(category="from-the-file").to_csv(staged, index=False)
    os.replace(staged, folder / "products.csv")
    for _ in range(50):
        status, answer = _call(base, f"/recommend?customer={customer}&k=3&category=from-the-file")
        if answer["items"]:
            break
        time.sleep(0.1)
    assert status == 200 and len(answer["items"]) == 3
    shop.products.to_csv(staged, index=False)  # as it was, for the other tests
    os.replace(staged, folder / "products.csv")
    time.sleep(0.5)
