"""Time units shared by every module that turns timestamps (datetime64[ns]) into days."""

from __future__ import annotations

#: nanoseconds in a day
DAY_NS = 86400e9
