"""Global filters (date range, channel, node, category), kept in the URL so views can be shared.

`Filters` is a plain value: the queries take it as an argument (it is part of their cache key) and
bind its fields as query parameters. The URL holds `from`, `to` (ISO dates) and `channel`, `node`,
`category` (repeated, or comma-separated); a link with them opens the same view. The sidebar
widgets are seeded from the URL once per session and write the URL back on every run, so the
address bar always shows the view on screen, whichever page it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import streamlit as st

# URL query-parameter names
P_FROM, P_TO, P_CHANNEL, P_NODE, P_CATEGORY = "from", "to", "channel", "node", "category"
PARAM_NAMES = (P_FROM, P_TO, P_CHANNEL, P_NODE, P_CATEGORY)

# session-state keys of the sidebar widgets
K_DATES, K_CHANNELS, K_NODES, K_CATEGORIES = (
    "filter_dates",
    "filter_channels",
    "filter_nodes",
    "filter_categories",
)
K_SEEDED = "_filters_seeded_from_url"
K_CURRENT = "_filters_current"


@dataclass(frozen=True)
class Filters:
    """What the user chose; an empty tuple or None means "all"."""

    start: date | None = None
    end: date | None = None
    channels: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return any((self.start, self.end, self.channels, self.nodes, self.categories))

    def params(self) -> dict[str, object]:
        """The values the queries bind as `$start`, `$end`, `$channels`, `$nodes`, `$categories`."""
        return {
            "start": self.start,
            "end": self.end,
            "channels": list(self.channels),
            "nodes": list(self.nodes),
            "categories": list(self.categories),
        }

    def to_query_params(self) -> dict[str, str | list[str]]:
        """URL query parameters for this view; filters left at "all" are left out."""
        params: dict[str, str | list[str]] = {}
        if self.start:
            params[P_FROM] = self.start.isoformat()
        if self.end:
            params[P_TO] = self.end.isoformat()
        for name, values in (
            (P_CHANNEL, self.channels),
            (P_NODE, self.nodes),
            (P_CATEGORY, self.categories),
        ):
            if values:
                params[name] = list(values)
        return params

    @classmethod
    def from_query_params(cls, get_all: Callable[[str], Sequence[str]]) -> Filters:
        """Read the filters from the URL (`get_all` is `st.query_params.get_all`).

        Values that are not dates are ignored rather than failing the page; a reversed range is
        put the right way round.
        """
        start, end = _parse_date(get_all(P_FROM)), _parse_date(get_all(P_TO))
        if start and end and start > end:
            start, end = end, start
        return cls(
            start=start,
            end=end,
            channels=_split(get_all(P_CHANNEL)),
            nodes=_split(get_all(P_NODE)),
            categories=_split(get_all(P_CATEGORY)),
        )


@dataclass(frozen=True)
class FilterOptions:
    """What can be chosen, read from the snapshot's dimensions."""

    channels: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_date: date | None = None
    max_date: date | None = None
    notes: tuple[str, ...] = field(default=())


def _split(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                seen[part.strip()] = None
    return tuple(seen)


def _parse_date(values: Sequence[str]) -> date | None:
    for value in reversed(values):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            continue
    return None


def normalise(filters: Filters, options: FilterOptions) -> Filters:
    """Keep only choices the snapshot knows; a date range equal to the data's bounds is "all"."""
    start, end = filters.start, filters.end
    if options.min_date and start is not None and start <= options.min_date:
        start = None
    if options.max_date and end is not None and end >= options.max_date:
        end = None
    return replace(
        filters,
        start=start,
        end=end,
        channels=tuple(c for c in filters.channels if c in options.channels),
        nodes=tuple(n for n in filters.nodes if n in options.nodes),
        categories=tuple(c for c in filters.categories if c in options.categories),
    )


def _seed_from_url(options: FilterOptions) -> None:
    wanted = Filters.from_query_params(st.query_params.get_all)
    unknown = [
        value
        for values, known in (
            (wanted.channels, options.channels),
            (wanted.nodes, options.nodes),
            (wanted.categories, options.categories),
        )
        for value in values
        if value not in known
    ]
    if unknown:
        st.sidebar.warning(f"Ignored filter values not in the data: {', '.join(unknown)}")
    chosen = normalise(wanted, options)
    if options.min_date and options.max_date:
        st.session_state[K_DATES] = (
            chosen.start or options.min_date,
            chosen.end or options.max_date,
        )
    st.session_state[K_CHANNELS] = list(chosen.channels)
    st.session_state[K_NODES] = list(chosen.nodes)
    st.session_state[K_CATEGORIES] = list(chosen.categories)
    st.session_state[K_SEEDED] = True


def _keep_valid(options: FilterOptions) -> None:
    """A new snapshot may drop a channel or move the date bounds: drop what no longer applies."""
    for key, known in (
        (K_CHANNELS, options.channels),
        (K_NODES, options.nodes),
        (K_CATEGORIES, options.categories),
    ):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in known]
    dates = st.session_state.get(K_DATES)
    if options.min_date and options.max_date and dates:
        clamped = tuple(min(max(d, options.min_date), options.max_date) for d in dates)
        if clamped != tuple(dates):
            st.session_state[K_DATES] = clamped


def _write_url(filters: Filters) -> None:
    wanted = filters.to_query_params()
    for name in PARAM_NAMES:
        value = wanted.get(name)
        current = st.query_params.get_all(name)
        if value is None:
            if current:
                del st.query_params[name]
        elif current != ([value] if isinstance(value, str) else value):
            st.query_params[name] = value


def sidebar(options: FilterOptions) -> Filters:
    """Draw the filters in the sidebar, keep the URL in step, and return what is chosen."""
    if not st.session_state.get(K_SEEDED):
        _seed_from_url(options)
    else:
        _keep_valid(options)

    st.sidebar.header("Filters")
    start = end = None
    if options.min_date and options.max_date:
        picked = st.sidebar.date_input(
            "Date range",
            key=K_DATES,
            min_value=options.min_date,
            max_value=options.max_date,
            help="Applies to each page's own date: initiation, receipt, detection, month…",
        )
        if isinstance(picked, Sequence) and len(picked) == 2:
            start, end = picked
        else:  # half-picked range: keep the previous choice until both ends are chosen
            previous = current()
            start, end = previous.start, previous.end
    channels = st.sidebar.multiselect("Channel", options.channels, key=K_CHANNELS)
    nodes = st.sidebar.multiselect("Node", options.nodes, key=K_NODES)
    categories = st.sidebar.multiselect("Category", options.categories, key=K_CATEGORIES)
    for note in options.notes:
        st.sidebar.caption(note)

    filters = normalise(
        Filters(start, end, tuple(channels), tuple(nodes), tuple(categories)), options
    )
    st.session_state[K_CURRENT] = filters
    _write_url(filters)
    return filters


def current() -> Filters:
    """The filters the sidebar last returned in this session (or the URL's, before any sidebar)."""
    chosen = st.session_state.get(K_CURRENT)
    if isinstance(chosen, Filters):
        return chosen
    return Filters.from_query_params(st.query_params.get_all)


NO_FILTERS = Filters()
