"""The widgets of a web shop's pages for visitors who never logged in: "viewed together" and
"viewed, then bought" on a product page, and "picked for your visit" from the products this
visitor has looked at so far (their session, newest last), each with the time it takes.

Run: python examples/session_widget.py
"""

import time

import recsys
from recsys.models.cooccurrence import CoOccurrence
from recsys.models.session_knn import SessionKNN

shop = recsys.make_shop(seed=0, events=True)
events = shop.events  # views, carts and purchases in sessions; many visitors anonymous
names = shop.products.set_index("product_id")["name"].to_dict()

# Product pages: relations between products from the visitors' sessions.
by_session = recsys.Interactions.from_frame(
    events, user="session_id", item="product_id", event="event",
    event_weights={"view": 1, "cart": 1, "purchase": 1})
viewed_together = CoOccurrence(event="view").fit(by_session)
viewed_then_bought = CoOccurrence(event="view", then="purchase").fit(by_session)

page = events["product_id"].value_counts().index[0]
print(f"On the page of {names[page]}:")
for title, model in (("Customers who viewed this also viewed", viewed_together),
                     ("Customers who viewed this bought", viewed_then_bought)):
    picks = model.similar_items(page, k=4).item_ids()
    print(f"  {title}: " + "; ".join(names[p] for p in picks))

# A visitor's session: the past sessions most like it vote (SessionKNN).
sessions = recsys.Interactions.from_frame(events, user=None, item="product_id",
                                          basket="session_id", timestamp="timestamp")
model = SessionKNN(k=100).fit(sessions)
sizes = events.groupby("session_id").size()
visitor = sizes[sizes.between(3, 5)].index[-1]  # a short visit, as most are
visit = events[events["session_id"] == visitor]["product_id"].tolist()
model.recommend_for_session(visit[:1], k=4)  # the first call builds the product index
start = time.perf_counter()
picks = model.recommend_for_session(visit, k=4)
took = (time.perf_counter() - start) * 1e3
print(f"\nA visitor who looked at {', '.join(names[p] for p in visit)} (newest last), "
      f"picked for the visit in {took:.2f} ms:")
for item in picks.item_ids():
    why = model.explain(item, basket=visit)
    source = names[why.contributions[0][0]] if why.contributions else "the visit"
    print(f"  {names[item]}  (sessions like this one had it, with {source})")
