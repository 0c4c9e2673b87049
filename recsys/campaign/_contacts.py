"""Whether and how often a customer may be contacted: consent per channel (email, sms,
push: opt-in, the customer's latest word counts), frequency caps across campaigns ("at most 1
mail in 7 days, 4 in 30") read from a contact history, and a quiet period after a purchase.
Applied to the audience before the control group, like suppression; counted per rule, never
named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys._engine.params import check_float, check_int
from recsys.data.dates import DAY_NS, parse_timestamps
from recsys.data.ids import clean_ids, match_ids
from recsys.exceptions import DataError, InvalidParameterError
from recsys.io.atomic import atomic_path

__all__ = ["ContactRules", "append_contacts", "CONTACT_COLUMNS"]

#: the columns of a contact history (what append_contacts writes)
CONTACT_COLUMNS = ("customer_id", "sent_at", "campaign")


@dataclass(frozen=True)
class ContactRules:
    """Who may be contacted now, from what was sent before and what was bought.

    Parameters
    ----------
    history : DataFrame, optional
        Earlier contacts: a ``customer_id`` and a ``sent_at`` column (what
        :func:`append_contacts` and ``recsys picks --contact-log`` write).
    caps : sequence of (int, float)
        ``(n, days)``: a customer contacted ``n`` times in the ``days`` before the send is
        left out (``[(1, 7), (4, 30)]``: at most one mail a week, four a month).
    quiet_days : float, optional
        A customer who bought within this many days before the send is left out.
    orders : DataFrame, optional
        Purchases (``customer_id`` and ``timestamp`` columns, or those named by
        ``order_customer``/``order_time``), for ``quiet_days``.
    consent : DataFrame, optional
        Consent per channel: ``customer_id``, ``channel`` and ``consent`` columns (yes/no,
        true/false, 1/0, granted/withdrawn, opt-in/opt-out), one row per change; the last row
        of a customer and channel counts (the latest by ``updated_at`` when there is such a
        column). With ``channel``, only customers whose latest word for it is yes are
        contacted: consent is opt-in, so a customer with no row for the channel is not.
    channel : str, optional
        The channel this campaign uses (``"email"``), as the consent table names it.

    Examples
    --------
    >>> import pandas as pd
    >>> sent = pd.DataFrame({"customer_id": [1, 1, 2], "sent_at": ["2026-12-01", "2026-11-20",
    ...                                                          "2026-10-01"]})
    >>> rules = ContactRules(history=sent, caps=[(1, 7), (2, 30)])
    >>> kept, counts = rules.keep(np.array([1, 2, 3]), np.datetime64("2026-12-05"))
    >>> kept.tolist(), counts
    ([2, 3], {'at most 1 in 7 days': 1, 'at most 2 in 30 days': 0})
    """

    history: pd.DataFrame | None = None
    caps: Sequence[tuple[int, float]] = ()
    quiet_days: float | None = None
    orders: pd.DataFrame | None = None
    order_customer: str = "customer_id"
    order_time: str = "timestamp"
    consent: pd.DataFrame | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        caps = tuple(tuple(cap) for cap in self.caps)
        for cap in caps:
            if len(cap) != 2:
                raise InvalidParameterError(f"ContactRules: each cap is (contacts, days), e.g. "
                                            f"(1, 7) for one a week; got {cap!r}.", param="caps")
            check_int("ContactRules", "caps (contacts)", cap[0], minimum=1)
            check_float("ContactRules", "caps (days)", cap[1], minimum=0, exclusive_min=True)
        object.__setattr__(self, "caps", caps)
        check_float("ContactRules", "quiet_days", self.quiet_days, minimum=0,
                    exclusive_min=True, allow_none=True)
        if caps and self.history is None:
            raise InvalidParameterError("ContactRules: caps need the contact history "
                                        "(history=...; --contact-log on the command line).",
                                        param="caps")
        if self.quiet_days is not None and self.orders is None:
            raise InvalidParameterError("ContactRules: quiet_days needs the orders (orders=...).",
                                        param="quiet_days")
        if (self.consent is None) != (self.channel is None):
            raise InvalidParameterError("ContactRules: consent (the table) and channel (this "
                                        "campaign's, e.g. 'email') go together (--consent and "
                                        "--channel on the command line).", param="channel")

    def keep(self, audience: np.ndarray, as_of: np.datetime64) -> tuple[np.ndarray, dict[str, int]]:
        """The audience that may be contacted at ``as_of``, in its order, and how many each
        rule left out (a customer counts once, under the first rule that leaves them out)."""
        out = np.zeros(len(audience), bool)
        counts: dict[str, int] = {}
        now = np.datetime64(as_of, "ns")
        if self.consent is not None:
            refused = ~self._consented(audience)
            counts[f"no consent for {self.channel}"] = int(refused.sum())
            out |= refused
        if self.caps:
            where, times = self._events(audience, self.history, "customer_id", "sent_at",
                                        "the contact history")
            for n, days in self.caps:
                recent = (times <= now) & (times > now - np.timedelta64(int(days * DAY_NS), "ns"))
                sent = np.bincount(where[recent], minlength=len(audience)) >= n
                counts[f"at most {n} in {days:g} days"] = int((sent & ~out).sum())
                out |= sent
        if self.quiet_days is not None:
            where, times = self._events(audience, self.orders, self.order_customer,
                                        self.order_time, "the orders")
            window = np.timedelta64(int(self.quiet_days * DAY_NS), "ns")
            recent = (times <= now) & (times > now - window)
            bought = np.bincount(where[recent], minlength=len(audience)) > 0
            counts[f"bought in the last {self.quiet_days:g} days"] = int((bought & ~out).sum())
            out |= bought
        return audience[~out], counts

    def _consented(self, audience: np.ndarray) -> np.ndarray:
        """Whether each customer of the audience said yes, last, to this channel."""
        table = self.consent
        needed = {"customer_id", "channel", "consent"}
        if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
            have = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
            raise DataError(f"ContactRules: the consent table needs customer_id, channel and "
                            f"consent columns; got {have}.")
        channels = table["channel"].astype("string").str.strip().str.lower()
        mine = table[(channels == str(self.channel).strip().lower()).fillna(False).to_numpy()]
        if not len(mine):
            there = sorted(channels.dropna().unique().tolist())
            raise DataError(f"ContactRules: the consent table has no row for channel "
                            f"{self.channel!r}; its channels are {there[:10]}. Name the "
                            f"channel as the table does (--channel).")
        if "updated_at" in mine.columns:  # the latest word counts
            order = np.argsort(parse_timestamps(mine["updated_at"], "updated_at"), kind="stable")
            mine = mine.iloc[order]
        said = _yes_or_no(mine["consent"])
        position = match_ids(audience, clean_ids(mine["customer_id"], "consent['customer_id']"),
                             "the audience's customer ids", "the consent table's customer ids")
        known = position >= 0
        latest = np.zeros(len(audience), bool)
        latest[position[known]] = said[known]  # later rows overwrite earlier ones
        return latest

    @staticmethod
    def _events(audience: np.ndarray, table: pd.DataFrame, customer: str, time: str,
                what: str) -> tuple[np.ndarray, np.ndarray]:
        """Audience position and time of each row of ``table`` about an audience customer."""
        if not isinstance(table, pd.DataFrame) or not {customer, time} <= set(table.columns):
            have = list(table.columns) if isinstance(table, pd.DataFrame) else type(table).__name__
            raise DataError(f"ContactRules: {what} need a {customer!r} and a {time!r} column; "
                            f"got {have}.")
        position = match_ids(audience, clean_ids(table[customer], f"{what}[{customer!r}]"),
                             "the audience's customer ids", f"{what}' customer ids")
        times = parse_timestamps(table[time], time)
        mine = position >= 0
        return position[mine], times[mine]


def append_contacts(path: str | Path, customers: Iterable, sent_at: object,
                    campaign: str) -> int:
    """Add one row per customer (``customer_id``, ``sent_at``, ``campaign``) to the contact
    history at ``path`` (created when absent), rewritten whole or not at all; the rows added.
    Ids are written as text, as read: a history never turns ``0010`` into ``10``.

    Parameters
    ----------
    path : str or path
    customers : ids
        The customers mailed.
    sent_at : date-like
    campaign : str

    Returns
    -------
    int
        The rows added.

    Raises
    ------
    DataError
        The file exists with other columns.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "contacts.csv")
    >>> append_contacts(path, ["0010", "0011"], "2026-12-01", "xmas")
    2
    """
    ids = pd.unique(np.asarray(clean_ids(customers, "customers")))
    rows = pd.DataFrame({"customer_id": ids.astype(str), "sent_at": str(sent_at)[:19],
                         "campaign": campaign})
    target = Path(path)
    if target.exists():
        earlier = pd.read_csv(target, dtype=str)
        if list(earlier.columns) != list(CONTACT_COLUMNS):
            raise DataError(f"{target}: a contact history has the columns "
                            f"{list(CONTACT_COLUMNS)}; it has {list(earlier.columns)}. Pass "
                            f"another --contact-log, or fix the file.")
        rows = pd.concat([earlier, rows], ignore_index=True)
    with atomic_path(target) as temporary:
        rows.to_csv(temporary, index=False)
    return len(ids)


_YES = {"yes", "y", "true", "t", "1", "granted", "opt-in", "optin", "opted in", "subscribed"}
_NO = {"no", "n", "false", "f", "0", "withdrawn", "opt-out", "optout", "opted out",
       "unsubscribed", "refused", "revoked"}


def _yes_or_no(column: pd.Series) -> np.ndarray:
    """A consent column as booleans; a value that says neither is refused (a misread consent
    column would mail people who said no)."""
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).to_numpy(bool)
    text = column.astype("string").str.strip().str.lower()
    yes, no = text.isin(_YES).fillna(False).to_numpy(), text.isin(_NO).fillna(False).to_numpy()
    unread = ~(yes | no)
    if unread.any():
        raise DataError(f"ContactRules: {int(unread.sum()):,} consent value(s) say neither yes "
                        f"nor no (e.g. {sorted(set(text[unread].fillna('<empty>')))[:3]}); "
                        f"write yes/no, true/false, 1/0, granted/withdrawn or opt-in/opt-out.")
    return yes
