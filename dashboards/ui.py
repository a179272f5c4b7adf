"""What every page draws the same way: the snapshot check, guarded sections, numbers, downloads."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import duckdb
import pandas as pd
import streamlit as st

from dashboards import exports, filters, queries
from dashboards.filters import Filters
from dashboards.serving import serving_path, snapshot_version

NO_SNAPSHOT = (
    "No serving snapshot yet at `{path}`. Run `returnops run` to build the marts and publish one."
)


def require_snapshot() -> str:
    """The snapshot's version; without a snapshot, say how to make one and stop the page."""
    version = snapshot_version()
    if version is None:
        st.info(NO_SNAPSHOT.format(path=serving_path()))
        st.stop()
    return version


def page_header(title: str, version: str, applies: str | None = None) -> Filters:
    """Title, when the snapshot was published, and which of the filters this page applies."""
    st.title(title)
    with section("Snapshot"):
        info = queries.snapshot_info(version)
        if info is not None:
            st.caption(
                f"Snapshot published {info.published_at:%Y-%m-%d %H:%M:%S} UTC "
                f"(version {info.version})"
            )
    chosen = filters.current()
    if applies:
        st.caption(f"Filters: {describe(chosen)} · {applies}")
    return chosen


def describe(chosen: Filters) -> str:
    parts = []
    if chosen.start or chosen.end:
        parts.append(f"{chosen.start or '…'} to {chosen.end or '…'}")
    for name, values in (
        ("channel", chosen.channels),
        ("node", chosen.nodes),
        ("category", chosen.categories),
    ):
        if values:
            parts.append(f"{name} {', '.join(values)}")
    return "; ".join(parts) or "all data"


@contextmanager
def section(name: str) -> Iterator[None]:
    """Run one part of a page; a mart the snapshot lacks shows a message, not a traceback.

    An older snapshot (or one from a pipeline that has not built every mart yet) misses tables
    or columns: that part of the page says so and the rest of the page still renders.
    """
    try:
        yield
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        st.info(
            f"**{name}**: not available in this snapshot yet "
            f"({str(exc).splitlines()[0]}). It appears once the pipeline publishes it."
        )
    except duckdb.Error as exc:
        st.error(
            f"**{name}**: the serving snapshot at `{serving_path()}` could not be read: "
            f"{str(exc).splitlines()[0]}"
        )


# ---- numbers -------------------------------------------------------------------------------------

DASH = "—"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def hours(value: float | None) -> str:
    """Hours with one decimal; a dash when there is nothing to measure."""
    return DASH if _missing(value) else f"{float(value):.1f} h"


def seconds(value: float | None) -> str:
    """Seconds with one decimal; a dash when there is nothing to measure."""
    return DASH if _missing(value) else f"{float(value):,.1f} s"


def count(value: float | None) -> str:
    return DASH if _missing(value) else f"{int(round(float(value))):,}"


def percent(value: float | None) -> str:
    return DASH if _missing(value) else f"{float(value) * 100:.1f} %"


def money(value: float | None) -> str:
    return DASH if _missing(value) else f"{float(value):,.2f}"


def timestamp(value: datetime | None) -> str:
    return DASH if _missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


FORMATTERS = {"count": count, "units": count, "hours": hours, "rate": percent, "money": money}


def delta(current: float | None, previous: float | None, unit: str) -> str | None:
    """The change from the previous period in the KPI's unit; None when either is unknown."""
    if _missing(current) or _missing(previous):
        return None
    change = float(current) - float(previous)
    if unit == "rate":
        return f"{change * 100:+.1f} pp"
    if unit == "hours":
        return f"{change:+.1f} h"
    if math.isclose(change, round(change)):
        return f"{int(round(change)):+,}"
    return f"{change:+,.2f}"


def delta_color(current: float | None, previous: float | None, higher_is_better: bool) -> str:
    """Green when the KPI moved the good way, red the bad way, grey when it did not move."""
    if (
        not _missing(current)
        and not _missing(previous)
        and math.isclose(float(current), float(previous), abs_tol=1e-9)
    ):
        return "off"
    return "normal" if higher_is_better else "inverse"


# ---- tables and downloads ------------------------------------------------------------------------


def download_buttons(
    df: pd.DataFrame,
    stem: str,
    key: str,
    formats: Sequence[exports.ExportFormat] = exports.FORMATS,
    sheet_name: str = "data",
) -> None:
    """One download button per format for exactly the rows of `df` (what is on screen).

    The file is made only when the button is clicked (Streamlit's deferred download), so a page
    with an Excel button pays nothing for it until someone wants the file.
    """
    columns = st.columns(len(formats))
    for column, fmt in zip(columns, formats, strict=True):
        with column:
            st.download_button(
                f"Download {exports.LABELS[fmt]}",
                data=functools.partial(exports.to_bytes, df, fmt, sheet_name),
                file_name=exports.file_name(stem, fmt),
                mime=exports.MIME_TYPES[fmt],
                key=f"download_{key}_{fmt}",
                disabled=df.empty,
                on_click="ignore",
                width="stretch",
            )


def table(df: pd.DataFrame, **kwargs) -> None:
    st.dataframe(df, hide_index=True, width="stretch", **kwargs)


def chart(fig) -> None:
    st.plotly_chart(fig, width="stretch")


def truncated(shown: int, total: int, what: str) -> None:
    if total > shown:
        st.caption(f"Showing {shown:,} of {total:,} {what}; narrow the filters to see the rest.")
    else:
        st.caption(f"{total:,} {what}.")
