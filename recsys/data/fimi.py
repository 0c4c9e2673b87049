"""FIMI basket text (integer item ids separated by blanks, one basket a line) parsed with numpy.

The bytes are classified at once (digit, sign, blank, line end); each token's value is the sum
of its digits times powers of ten, summed with ``np.add.reduceat``. The text is handled in
blocks of about :data:`BLOCK` bytes cut at line ends, so memory stays a small multiple of the
block whatever the file's size; nothing loops over lines or items in Python.
"""

from __future__ import annotations

import numpy as np

from recsys.exceptions import DataError

#: bytes parsed at once
BLOCK = 1 << 18
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_BLANKS = np.zeros(256, bool)
_BLANKS[[ord(" "), ord("\t"), ord("\r"), ord("\n"), ord("\f"), ord("\v")]] = True


def parse(text: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Line number (from 0) and item id of every token, in file order.

    >>> parse(b"3 1\\n\\n-2 10\\n", "x")
    (array([0, 0, 2, 2], dtype=int32), array([ 3,  1, -2, 10]))
    """
    lines_out, items_out = [], []
    start = line_base = 0
    while start < len(text):
        stop = text.find(b"\n", min(start + BLOCK, len(text)) - 1)
        stop = len(text) if stop < 0 else stop + 1
        block = np.frombuffer(text, np.uint8, count=stop - start, offset=start)
        lines, items = _parse_block(block, where, line_base)
        lines_out.append(lines)
        items_out.append(items)
        line_base += int(np.count_nonzero(block == ord("\n")))
        start = stop
    if not items_out:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lines_out), np.concatenate(items_out)


def _parse_block(block: np.ndarray, where: str, line_base: int) -> tuple[np.ndarray, np.ndarray]:
    digit = (block - np.uint8(48)) < 10
    minus = block == ord("-")
    bad = ~(digit | minus | _BLANKS[block])
    if bad.any():
        _refuse(block, int(np.argmax(bad)), where, line_base)
    word = digit | minus
    begins = np.flatnonzero(word & ~np.r_[False, word[:-1]])
    ends = np.flatnonzero(word & ~np.r_[word[1:], False]) + 1
    signed = minus[begins]
    # a word is an optional '-' then digits only
    n_digits = ends - begins - signed
    if (n_digits < 1).any() or np.count_nonzero(minus) != np.count_nonzero(signed):
        at = begins[np.argmax(n_digits < 1)] if (n_digits < 1).any() else \
            int(np.flatnonzero(minus & ~np.isin(np.arange(len(block)), begins))[0])
        _refuse(block, int(at), where, line_base)
    if (n_digits > 18).any():
        _refuse(block, int(begins[np.argmax(n_digits > 18)]), where, line_base,
                "an item id longer than 18 digits")
    places = np.flatnonzero(digit)
    # each digit's power: the distance to its word's end
    word_end = np.repeat(ends, n_digits)
    values = (block[places] - np.int64(48)) * _POW10[word_end - places - 1]
    firsts = np.cumsum(n_digits) - n_digits
    items = np.add.reduceat(values, firsts) if len(firsts) else np.empty(0, np.int64)
    items = np.where(signed, -items, items)
    lines = np.searchsorted(np.flatnonzero(block == ord("\n")), begins) + line_base
    return lines.astype(np.int32 if line_base + len(block) < 2**31 else np.int64), items


def _refuse(block: np.ndarray, at: int, where: str, line_base: int,
            what: str = "a word that is not an integer") -> None:
    line = line_base + int(np.count_nonzero(block[:at] == ord("\n"))) + 1
    begin = int(np.flatnonzero(block[:at] == ord("\n"))[-1]) + 1 if (block[:at] == ord("\n")).any() \
        else 0
    end = at + int(np.argmax(np.r_[block[at:], np.uint8(10)] == ord("\n")))
    shown = bytes(block[begin:end][:80]).decode("utf-8", "replace")
    raise DataError(f"{where}: FIMI files hold integer item ids separated by spaces, one basket "
                    f"a line; line {line} holds {what}: {shown!r}. Fix the file or read it "
                    f"with Interactions.from_frame.")
