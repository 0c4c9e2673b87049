"""Customer value: the buy-till-you-die models of who is still a customer and what they will
spend. :func:`summary` turns an order log into frequency, recency, age and spend per customer;
:class:`BetaGeo` (BG/NBD) predicts repeat purchases and the probability a customer is alive;
:class:`GammaGamma` the value of their purchases; :func:`clv` the two together over a horizon;
:func:`send_times` when to mail each customer; :class:`UpliftModel` who a mail changes, learnt
from a past campaign with a control group (:func:`qini_curve` judges it); and the targeting
that closes the loop (:func:`learn_uplift` from a past send's assignments and the orders that
followed, :func:`predicted_uplift` for the next send's ``make_picks(target=..., budget=...)``).
"""
from recsys.customers.models import BetaGeo, GammaGamma, clv
from recsys.customers.send_time import send_times
from recsys.customers.summary import UNITS, summary
from recsys.customers.targeting import campaign_outcome, customer_features, learn_uplift, predicted_uplift
from recsys.customers.uplift import UpliftModel, qini_area, qini_curve, simulate_campaign
from recsys.customers.value import VALUE_SEGMENTS, value_table

__all__ = ["summary", "BetaGeo", "GammaGamma", "clv", "value_table", "VALUE_SEGMENTS", "UNITS",
           "send_times", "UpliftModel", "qini_curve", "qini_area", "simulate_campaign",
           "customer_features", "campaign_outcome", "learn_uplift", "predicted_uplift"]
