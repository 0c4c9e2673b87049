"""Order lines from a SQL database: a query run through SQLAlchemy (PostgreSQL, MySQL, SQLite
and every database it has a driver for), read in batches into one frame. The connection URL's
password is never shown: messages name the database by its URL with the password hidden, and
credentials are best left to the environment (``PGPASSWORD``, a ``.pgpass`` file)."""

from __future__ import annotations

import io
import re
import sys

import pandas as pd

from recsys.exceptions import DataError

__all__ = ["is_database_url", "read_query", "BATCH_ROWS"]

#: rows fetched at a time (the driver streams them; the frame grows by batches)
BATCH_ROWS = 200_000

_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.IGNORECASE)


def is_database_url(text: str | None) -> bool:
    """Whether ``text`` is a database URL (``postgresql://...``, ``sqlite:///shop.db``), not a
    file path.

    Parameters
    ----------
    text : str or None
        A command-line value (``--orders``).

    Returns
    -------
    bool
        True for ``scheme://...`` with a database scheme SQLAlchemy knows the form of.

    Examples
    --------
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

    PostgreSQL is read through ``COPY ... TO STDOUT`` into Arrow when pyarrow and psycopg are
    installed (a fraction of the time and memory of row-by-row fetching); any other database
    through SQLAlchemy in batches of :data:`BATCH_ROWS`.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL (``postgresql://user@host/db``, ``sqlite:///shop.db``); a password in
        it is never shown in a message.
    query : str
        The SQL whose rows are read.
    what : str, default "--orders"
        What the rows are for, in messages (the command line's option).

    Returns
    -------
    pandas.DataFrame
        The rows, with the database's column names and types.

    Raises
    ------
    DataError
        SQLAlchemy or the database driver is not installed, the connection fails, the query
        does, or it returns no rows (each naming the database, never its password, and the
        fix).

    Examples
    --------
    >>> import os, sqlite3, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "shop.db")
    >>> with sqlite3.connect(path) as db:
    ...     _ = db.execute("create table orders (customer_id int, product_id text)")
    ...     _ = db.execute("insert into orders values (1, 'A'), (2, 'B')")
    >>> read_query(f"sqlite:///{path}", "select * from orders")
       customer_id product_id
    0            1          A
    1            2          B
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
            copied = postgres_copy(connection, query)
            frames = [copied] if copied is not None else list(pd.read_sql_query(
                sqlalchemy.text(query), connection, chunksize=BATCH_ROWS))
    except _DriverError as exc:
        if exc.refused:
            raise DataError(f"{what} {shown(url)}: the database refused the query "
                            f"({_first_line(exc.error, url)}). Check --query and the "
                            f"credentials.") from None
        raise DataError(f"{what} {shown(url)}: --query failed: {_first_line(exc.error, url)}. "
                        f"Fix the SQL (try it in the database's own client first).") from None
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
    if not frames or not len(frames[0]):
        raise DataError(f"{what} {shown(url)}: --query returned no rows.")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


#: PostgreSQL type oids -> the Arrow type their COPY text is read as (anything else: the
#: generic path); numeric ids and amounts as float64 (17850.0 reads as the id 17850)
_ARROW_TYPES = {16: "bool", 20: "int64", 21: "int64", 23: "int64", 26: "int64",
                700: "float64", 701: "float64", 1700: "float64",
                18: "string", 19: "string", 25: "string", 1042: "string", 1043: "string",
                2950: "string", 1114: "timestamp", 1184: "timestamp_utc", 1082: "date32"}

class _DriverError(Exception):
    """The driver's own error on the COPY path (``refused``: the connection's, not the SQL's)."""

    def __init__(self, error: Exception, refused: bool) -> None:
        super().__init__(str(error))
        self.error, self.refused = error, refused


def postgres_copy(connection, query: str) -> pd.DataFrame | None:
    """The rows of ``query`` through PostgreSQL's ``COPY (query) TO STDOUT`` parsed by Arrow's
    CSV reader, typed by the query's own column types: several times faster than fetching
    rows as Python tuples, and its memory is the Arrow table's, not millions of Python
    objects. None when this path does not apply (not PostgreSQL through psycopg, no pyarrow,
    a column type it does not read, duplicate column names): the caller fetches rows."""
    driver = getattr(connection.connection, "driver_connection", None)
    if type(driver).__module__.split(".")[0] != "psycopg":
        return None
    try:
        import pyarrow.csv as pacsv  # optional (the parquet extra): the fast path only
    except ImportError:
        return None
    psycopg = sys.modules[type(driver).__module__.split(".")[0]]  # imported by the driver
    try:
        return _copy(driver, query.strip().rstrip(";").strip(), pacsv)
    except psycopg.OperationalError as exc:
        raise _DriverError(exc, refused=True) from None
    except psycopg.Error as exc:
        raise _DriverError(exc, refused=False) from None


def _copy(driver, inner: str, pacsv) -> pd.DataFrame | None:
    with driver.cursor() as cursor:
        cursor.execute("set local datestyle to 'ISO, YMD'; set local timezone to 'UTC'")
        cursor.execute(f"select * from ({inner}) as recsys_query limit 0")
        names = [column.name for column in cursor.description]
        kinds = [_ARROW_TYPES.get(column.type_code) for column in cursor.description]
        if None in kinds or len(set(names)) != len(names):
            return None
        text = io.BytesIO()
        with cursor.copy(f"copy ({inner}) to stdout (format csv)") as copy:
            for block in copy:
                text.write(block)
    text.seek(0)
    return _parse_copy(text, names, kinds, pacsv)


def _parse_copy(text: io.BytesIO, names: list[str], kinds: list[str], pacsv) -> pd.DataFrame:
    """COPY's CSV text as a frame: NULL is an unquoted empty field, an empty text a quoted
    one; booleans are t and f; times are ISO (the session's datestyle), zoned ones in UTC."""
    import pyarrow as pa  # optional (the parquet extra), present when pacsv is

    types = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(),
             "string": pa.string(), "timestamp": pa.timestamp("us"),
             "timestamp_utc": pa.timestamp("us", tz="UTC"), "date32": pa.date32()}
    if not text.getbuffer().nbytes:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    table = pacsv.read_csv(
        text, read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types={n: types[k] for n, k in zip(names, kinds, strict=True)},
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"], timestamp_parsers=[
                "%Y-%m-%d %H:%M:%S", pacsv.ISO8601]))
    return table.to_pandas()


def _first_line(error: Exception, url: str) -> str:
    """The database's own message, its first line, the URL's password hidden."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return shown(text[0] if text else type(error).__name__).replace(url, shown(url))
