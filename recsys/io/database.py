"""Order lines from a SQL database: a query run through SQLAlchemy (PostgreSQL, MySQL, SQLite
and every database it has a driver for), read in batches into one frame. The connection URL's
password is never shown: messages name the database by its URL with the password hidden, and
credentials are best left to the environment (``PGPASSWORD``, a ``.pgpass`` file)."""

from __future__ import annotations

import re

import pandas as pd

from recsys.exceptions import DataError

__all__ = ["is_database_url", "read_query", "BATCH_ROWS"]

#: rows fetched at a time (the driver streams them; the frame grows by batches)
BATCH_ROWS = 200_000

_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.IGNORECASE)


def is_database_url(text: str | None) -> bool:
    """Whether ``text`` is a database URL (``postgresql://...``, ``sqlite:///shop.db``), not a
    file path.

    >>> is_database_url("postgresql://shop@db/orders"), is_database_url("orders.csv")
    (True, False)
    """
    return bool(text) and bool(_URL.match(str(text))) and not str(text).lower().startswith(
        ("http://", "https://", "file://"))


def shown(url: str) -> str:
    """``url`` with its password hidden, for messages.

    >>> shown("postgresql://shop:secret@db:5432/orders")
    'postgresql://shop:***@db:5432/orders'
    """
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def read_query(url: str, query: str, what: str = "--orders") -> pd.DataFrame:
    """The rows of ``query`` on the database at ``url``, as a DataFrame.

    Raises
    ------
    DataError
        SQLAlchemy or the database driver is not installed, the connection fails, or the query
        does (each naming the database, never its password, and the fix).
    """
    try:
        import sqlalchemy  # optional (the sql extra): only for a database source
    except ImportError:
        raise DataError(f"{what} {shown(url)}: reading a database needs SQLAlchemy and the "
                        f"database's driver: python -m pip install -e \".[sql]\".") from None
    try:
        engine = sqlalchemy.create_engine(url)
    except (sqlalchemy.exc.ArgumentError, ImportError, ModuleNotFoundError) as exc:
        raise DataError(f"{what} {shown(url)}: not a database URL SQLAlchemy can use "
                        f"({type(exc).__name__}: {_first_line(exc, url)}). Write it as "
                        f"postgresql://user@host/db or sqlite:///file.db, and install the "
                        f"driver.") from None
    try:
        with engine.connect() as connection:
            batches = pd.read_sql_query(sqlalchemy.text(query), connection,
                                        chunksize=BATCH_ROWS)
            frames = list(batches)
    except sqlalchemy.exc.OperationalError as exc:
        raise DataError(f"{what} {shown(url)}: the database refused the connection or the "
                        f"query ({_first_line(exc, url)}). Check the host, the database and "
                        f"the credentials (from the environment: PGPASSWORD or ~/.pgpass), and "
                        f"--query.") from None
    except (sqlalchemy.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ \
            else exc
        raise DataError(f"{what} {shown(url)}: --query failed: {_first_line(cause, url)}. Fix "
                        f"the SQL (try it in the database's own client first).") from None
    finally:
        engine.dispose()
    if not frames:
        raise DataError(f"{what} {shown(url)}: --query returned no rows.")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _first_line(error: Exception, url: str) -> str:
    """The database's own message, its first line, the URL's password hidden."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return shown(text[0] if text else type(error).__name__).replace(url, shown(url))
