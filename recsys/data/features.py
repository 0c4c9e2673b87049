"""Item features: text, categories, labels and numbers as one sparse matrix.

:class:`ItemFeatures` turns a product table into a sparse items x features
matrix: each text column through scikit-learn's TF-IDF, each categorical
column one-hot, each multi-label column (``Adventure|Comedy``) multi-hot, and
numeric columns standardised. Each block is scaled to unit row norm and then by
the square root of its weight, so the cosine of two rows is the weighted mean of
the per-block cosines. The fitted vocabularies are kept as arrays, so new
products can be transformed later and the whole thing saved without pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys._engine import state_checks as checks
from recsys.data.frames import as_pandas
from recsys.data.idmap import IdMap
from recsys.data.ids import clean_ids, preview
from recsys.exceptions import DataError, InvalidParameterError, PersistenceError

__all__ = ["ItemFeatures"]

_KINDS = ("text", "categorical", "multilabel", "numeric")


class ItemFeatures:
    """Sparse item features built from a product table.

    Build with :meth:`from_frame`. ``matrix`` rows follow ``items`` (an
    :class:`~recsys.data.interactions.IdMap`); ``feature_names`` name the columns
    (``"name:ceramic"``, ``"category=kitchen"``, ``"price"``).

    Parameters
    ----------
    items : IdMap
        The products, one per row of ``matrix``.
    matrix : scipy.sparse.csr_matrix
        Products x features.
    blocks : list of dict
        One per source column: its kind, column, fitted vocabulary and feature names (what
        :meth:`add` needs to encode new products the same way).

    Examples
    --------
    >>> import pandas as pd
    >>> products = pd.DataFrame({
    ...     "item_id": ["p1", "p2", "p3"],
    ...     "name": ["blue ceramic mug", "red ceramic mug", "garden hose"],
    ...     "category": ["kitchen", "kitchen", "garden"],
    ...     "price": [4.5, 5.0, 19.0]})
    >>> feats = ItemFeatures.from_frame(products, text=["name"],
    ...                                 categorical=["category"], numeric=["price"])
    >>> feats.matrix.shape[0]
    3
    >>> "category=garden" in feats.feature_names
    True
    """

    def __init__(self, *, items, matrix: sp.csr_matrix, blocks: list[dict]) -> None:
        self.items = items
        self.matrix = matrix.tocsr().astype(np.float32)
        self.matrix.sort_indices()
        self.blocks = blocks
        self.feature_names = np.concatenate(
            [b["names"] for b in blocks] or [np.empty(0, dtype=str)]
        ).astype(str)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{b['kind']}:{b['column']}" for b in self.blocks)
        return f"ItemFeatures({len(self.items)} items, {self.matrix.shape[1]} features; {kinds})"

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        item: str = "item_id",
        text: Sequence[str] = (),
        categorical: Sequence[str] = (),
        multilabel: Sequence[str] = (),
        numeric: Sequence[str] = (),
        weights: Mapping[str, float] | None = None,
        sep: str = "|",
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 1,
        max_features: int | None = None,
    ) -> ItemFeatures:
        """Fit the feature blocks on a product table (one row per item).

        Parameters
        ----------
        df : pandas.DataFrame
            The product table; never modified.
        item : str
            Column of item ids.
        text : list of str
            Free-text columns (names, descriptions, tags): TF-IDF with word
            n-grams (``ngram_range``), sublinear tf, ``min_df``, English stop words.
        categorical : list of str
            One value per item (category, brand): one-hot.
        multilabel : list of str
            Several labels per item joined by ``sep`` (``"Adventure|Comedy"``).
        numeric : list of str
            Numbers (price): standardised, clipped to 3 standard deviations, /3.
        weights : dict, optional
            Weight per column (default 1.0 each).

        Returns
        -------
        ItemFeatures
        """

        df = as_pandas(df, "ItemFeatures.from_frame")
        columns = {"text": list(text), "categorical": list(categorical),
                   "multilabel": list(multilabel), "numeric": list(numeric)}
        named = [c for cols in columns.values() for c in cols]
        if not named:
            raise InvalidParameterError(
                "ItemFeatures.from_frame needs at least one of text=, categorical=, "
                "multilabel= or numeric= columns."
            )
        absent = [c for c in [item, *named] if c not in df.columns]
        if absent:
            raise DataError(
                f"column(s) {preview(absent)} not in the product frame; it has "
                f"{preview(list(df.columns), 10)}."
            )
        if len(df) == 0:
            raise DataError("the product frame is empty (0 rows).")
        weights = dict(weights or {})
        unknown = set(weights) - set(named)
        if unknown:
            raise InvalidParameterError(
                f"weights name column(s) {preview(sorted(unknown))} that are not feature columns "
                f"({preview(named, 10)})."
            )
        ids = clean_ids(df[item], f"column {item!r}")
        uniq, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise DataError(
                f"column {item!r} repeats {int((counts > 1).sum())} item id(s) "
                f"(first: {preview(uniq[counts > 1].tolist())}); expected one row per item. "
                f"Deduplicate with df.drop_duplicates({item!r})."
            )
        order = np.argsort(ids, kind="stable")
        frame = df.iloc[order]
        items = IdMap.from_sorted(ids[order], item)
        blocks, parts = [], []
        for kind in _KINDS:
            for column in columns[kind]:
                weight = float(weights.get(column, 1.0))
                if not np.isfinite(weight) or weight < 0:
                    raise InvalidParameterError(
                        f"weight of column {column!r} must be a finite number >= 0, got {weight!r}."
                    )
                block, fitted = _fit_block(kind, column, frame[column], weight, sep,
                                           ngram_range, min_df, max_features)
                blocks.append(block)
                parts.append(_transform_block(block, frame[column], fitted))
        matrix = sp.hstack(parts, format="csr")
        return cls(items=items, matrix=matrix, blocks=blocks)

    def transform(self, df: pd.DataFrame) -> sp.csr_matrix:
        """Feature rows for the products in ``df`` (same columns), with the fitted
        vocabularies: words unseen at fit time are ignored."""
        absent = [b["column"] for b in self.blocks if b["column"] not in df.columns]
        if absent:
            raise DataError(f"column(s) {preview(absent)} not in the product frame.")
        parts = [_transform_block(b, df[b["column"]]) for b in self.blocks]
        return sp.hstack(parts, format="csr").astype(np.float32)

    def add(self, df: pd.DataFrame, item: str | None = None) -> ItemFeatures:
        """A new ``ItemFeatures`` with the products in ``df`` added (or replaced),
        transformed with the fitted vocabularies. The original is unchanged."""

        item = item or self.items.name
        if item not in df.columns:
            raise DataError(f"column {item!r} not in the product frame.")
        new_ids = clean_ids(df[item], f"column {item!r}")
        new_rows = self.transform(df)
        keep = ~np.isin(self.items.ids, new_ids)
        all_ids = np.concatenate([self.items.ids[keep], new_ids])
        rows = sp.vstack([self.matrix[keep], new_rows], format="csr")
        order = np.argsort(all_ids, kind="stable")
        return ItemFeatures(items=IdMap.from_sorted(all_ids[order], self.items.name),
                            matrix=rows[order], blocks=self.blocks)

    def aligned(self, idmap) -> sp.csr_matrix:
        """Rows in the order of ``idmap``; items without features get empty rows."""
        pos = self.items.to_index(idmap.ids, missing="mask")
        have = pos >= 0
        selector = sp.csr_matrix(
            (np.ones(int(have.sum()), np.float32), (np.flatnonzero(have), pos[have])),
            shape=(len(idmap), len(self.items)),
        )
        return (selector @ self.matrix).tocsr()

    # ------------------------------------------------------------------ persistence
    def to_arrays(self, prefix: str = "features/") -> tuple[dict[str, np.ndarray], list[dict]]:
        """Arrays and a JSON-able block spec, for the model file."""
        arrays = {
            f"{prefix}items": self.items.ids,
            f"{prefix}data": self.matrix.data,
            f"{prefix}indices": self.matrix.indices,
            f"{prefix}indptr": self.matrix.indptr,
        }
        specs = []
        for n, block in enumerate(self.blocks):
            spec = {k: v for k, v in block.items() if not isinstance(v, np.ndarray)}
            for key, value in block.items():
                if isinstance(value, np.ndarray):
                    arrays[f"{prefix}{n}/{key}"] = value
            specs.append(spec)
        return arrays, specs

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], specs: list[dict],
                    prefix: str = "features/", name: str = "item_id") -> ItemFeatures:

        items = IdMap.from_sorted(arrays[f"{prefix}items"], name)
        blocks = []
        for n, spec in enumerate(specs):
            block = dict(spec)
            for key in [k for k in arrays if k.startswith(f"{prefix}{n}/")]:
                block[key.rsplit("/", 1)[1]] = arrays[key]
            if "ngram_range" in block:
                block["ngram_range"] = tuple(block["ngram_range"])
            blocks.append(block)
        for n, block in enumerate(blocks):
            _check_block(block, f"{prefix}{n}/")
        matrix = checks.csr_from(arrays, prefix,
                                 (len(items), sum(len(b["names"]) for b in blocks)))
        return cls(items=items, matrix=matrix, blocks=blocks)


# ---------------------------------------------------------------------- blocks
#: per kind of block, its arrays that hold one entry per feature name
_PER_NAME = {"text": ("vocab", "idf"), "categorical": ("categories",),
             "multilabel": ("labels",), "numeric": ()}


def _check_block(block: dict, prefix: str) -> None:
    """A block read from a model file: its arrays of the kinds and lengths transform uses."""
    kind = block.get("kind")
    if kind not in _PER_NAME:
        raise PersistenceError(f"model file: feature block {prefix!r} is of unknown kind "
                               f"{kind!r} (a damaged or altered file).")
    names = checks.vector(block.get("names", np.empty(0, np.float32)), f"{prefix}names",
                          None, "U")
    if kind == "numeric" and len(names) != 1:
        raise PersistenceError(f"model file: numeric block {prefix!r} must name one feature.")
    numbers = [block.get("weight")] + ([block.get("mean"), block.get("std")]
                                       if kind == "numeric" else [])
    if not all(isinstance(x, (int, float)) and np.isfinite(x) for x in numbers) or \
            numbers[0] < 0 or (kind == "numeric" and numbers[2] <= 0):
        raise PersistenceError(f"model file: feature block {prefix!r} has a weight, mean or "
                               f"spread that is not a usable number (a damaged or altered file).")
    for key in _PER_NAME[kind]:
        kinds = "f" if key == "idf" else "U"
        checks.vector(block.get(key, np.empty(0, np.float32)), f"{prefix}{key}", len(names),
                      kinds)



def _fit_block(kind: str, column: str, values: pd.Series, weight: float, sep: str,
               ngram_range: tuple[int, int], min_df: int | float,
               max_features: int | None) -> tuple[dict, sp.csr_matrix | None]:
    """The block's fitted state, and for text the TF-IDF rows of the fitting data (so they are
    not tokenised a second time)."""
    block: dict = {"kind": kind, "column": column, "weight": weight}
    fitted = None
    if kind == "text":
        vectorizer = _vectorizer(ngram_range, min_df, max_features)
        try:
            fitted = vectorizer.fit_transform(_text(values))
        except ValueError as exc:
            raise DataError(
                f"text column {column!r} gave no words to index ({exc}); "
                f"check the column holds text, or lower min_df."
            ) from None
        vocab = vectorizer.get_feature_names_out().astype(str)
        block.update(vocab=vocab, idf=vectorizer.idf_.astype(np.float64),
                     ngram_range=list(ngram_range), names=np.char.add(f"{column}:", vocab))
    elif kind == "categorical":
        cats = np.unique(_text(values).to_numpy(dtype=str))
        block.update(categories=cats, names=np.char.add(f"{column}=", cats))
    elif kind == "multilabel":
        labels = _split_labels(values, sep)
        uniq = np.unique(labels.to_numpy(dtype=str)) if len(labels) else np.empty(0, str)
        block.update(labels=uniq, sep=sep, names=np.char.add(f"{column}=", uniq))
    else:
        numbers = _numbers(values, column)
        finite = numbers[np.isfinite(numbers)]
        mean = float(finite.mean()) if len(finite) else 0.0
        std = float(finite.std()) if len(finite) else 1.0
        block.update(mean=mean, std=std if std > 0 else 1.0, names=np.array([column]))
    return block, fitted


def _transform_block(block: dict, values: pd.Series,
                     fitted: sp.csr_matrix | None = None) -> sp.csr_matrix:
    n = len(values)
    kind = block["kind"]
    if fitted is not None:
        mat = fitted.astype(np.float32)
    elif kind == "text":
        vectorizer = _vectorizer(tuple(block["ngram_range"]), 1, None,
                                 vocabulary={t: i for i, t in enumerate(block["vocab"].tolist())})
        vectorizer.idf_ = block["idf"]
        mat = vectorizer.transform(_text(values)).astype(np.float32)
    elif kind == "categorical":
        cats = block["categories"]
        pos = pd.Index(cats).get_indexer(_text(values).to_numpy(dtype=str))
        have = pos >= 0
        mat = sp.csr_matrix((np.ones(int(have.sum()), np.float32), (np.flatnonzero(have), pos[have])),
                            shape=(n, len(cats)))
    elif kind == "multilabel":
        labels = _split_labels(values, block["sep"])
        pos = pd.Index(block["labels"]).get_indexer(labels.to_numpy(dtype=str))
        rows = labels.index.to_numpy()
        have = pos >= 0
        mat = sp.csr_matrix((np.ones(int(have.sum()), np.float32), (rows[have], pos[have])),
                            shape=(n, len(block["labels"])))
        mat.sum_duplicates()
        mat.data[:] = 1.0
        norms = np.sqrt(np.asarray(mat.sum(axis=1)).ravel())
        mat = sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ mat
    else:
        numbers = _numbers(values, block["column"])
        z = np.where(np.isfinite(numbers), (numbers - block["mean"]) / block["std"], 0.0)
        mat = sp.csr_matrix(np.clip(z, -3, 3)[:, None] / 3.0)
    return (mat * np.float32(np.sqrt(block["weight"]))).tocsr().astype(np.float32)


def _vectorizer(ngram_range, min_df, max_features, vocabulary=None):
    # scikit-learn costs 0.5 s to import: only where it is used
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=tuple(ngram_range), min_df=min_df,
                           max_features=max_features, sublinear_tf=True,
                           stop_words="english", vocabulary=vocabulary, dtype=np.float32)


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").str.strip().reset_index(drop=True)


def _split_labels(values: pd.Series, sep: str) -> pd.Series:
    labels = _text(values).str.split(sep, regex=False).explode().str.strip()
    return labels[labels.notna() & (labels != "")]


def _numbers(values: pd.Series, column: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    strings = values.notna().to_numpy() & np.isnan(numbers)
    if strings.any():
        raise DataError(
            f"numeric column {column!r} has {int(strings.sum())} value(s) that are not numbers "
            f"(first: {preview(values[strings].tolist())}). Convert or drop them."
        )
    infinite = np.isinf(numbers)
    if infinite.any():  # NaN is a missing value (read as the mean); inf is not a number to scale
        raise DataError(
            f"numeric column {column!r} has {int(infinite.sum())} infinite value(s) (first at "
            f"row {int(np.flatnonzero(infinite)[0])}). Replace them with a finite value, or "
            f"with NaN to have them read as the column's mean.")
    return numbers
