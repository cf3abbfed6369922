"""Reads for the clinic's calendar: a timebook's week, or one day across an organisation's timebooks.

Both are grids of rows (a clinic clock's start time) by columns (a day, or a timebook), built
from a fixed number of queries however many slots there are. Rows are keyed by the wall-clock
time *and* its fold, so the autumn night that repeats an hour gets two rows for it and the spring
night that skips one gets none: every instant with a slot has exactly one row.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epj.models import Delivery
from epj.timebooks.models import (
    AppointmentMessage,
    AvailabilityException,
    Booking,
    BookingStatus,
    ExceptionKind,
    Slot,
    Timebook,
)
from helsenorge.clock import holiday_name, local_day_bounds, local_tz

FREE, PARTLY, FULL, BLOCKED, EMPTY = "free", "partly", "full", "blocked", "empty"
STATE_LABELS = {
    FREE: gettext_lazy("Ledig"),
    PARTLY: gettext_lazy("Delvis bestilt"),
    FULL: gettext_lazy("Bestilt"),
    BLOCKED: gettext_lazy("Stengt"),
    EMPTY: gettext_lazy("Ingen time"),
}
# Shown beside the word, never instead of it; the word is what a screen reader says.
STATE_ICONS = {FREE: "○", PARTLY: "◐", FULL: "●", BLOCKED: "⊘", EMPTY: "–"}

# The legend under each grid, in the order a reader meets the states.
STATE_LEGEND = [(STATE_ICONS[state], state, STATE_LABELS[state]) for state in (FREE, PARTLY, FULL, BLOCKED, EMPTY)]

RowKey = tuple[datetime.time, int]  # local wall-clock time, fold (1 = the repeated autumn hour)


@dataclass
class SlotEntry:
    slot: Slot
    local_start: datetime.datetime
    local_end: datetime.datetime
    patients: list[str]
    # A booked slot kept inside time the clinic has since closed (the exception's reason, or "").
    in_closed_time: str | None = None
    # Helsenorge rejected the last appointment message about this slot (the slot page says why).
    delivery_rejected: bool = False

    @property
    def state(self) -> str:
        if self.slot.booked >= self.slot.capacity:
            return FULL
        return PARTLY if self.slot.booked else FREE

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def icon(self) -> str:
        return STATE_ICONS[self.state]


@dataclass
class Cell:
    entries: list[SlotEntry] = field(default_factory=list)
    closed: str | None = None  # why the time is closed ("" when no reason was given)
    column: "Column | None" = None

    @property
    def state(self) -> str:
        if self.entries:
            return self.entries[0].state
        return BLOCKED if self.closed is not None else EMPTY

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def icon(self) -> str:
        return STATE_ICONS[self.state]


@dataclass
class Column:
    day: datetime.date
    timebook: Timebook
    holiday: str = ""
    closed_all_day: str | None = None  # a whole-day closing of this timebook (its reason)
    closed_ranges: list[tuple[datetime.time, datetime.time, str]] = field(default_factory=list)

    def closed_at(self, time: datetime.time) -> str | None:
        if self.holiday:
            return self.holiday
        if self.closed_all_day is not None:
            return self.closed_all_day
        for start, end, reason in self.closed_ranges:
            if start <= time < end:
                return reason
        return None


@dataclass
class Row:
    time: datetime.time
    fold: int
    label: str
    cells: list[Cell]


@dataclass
class Grid:
    columns: list[Column]
    rows: list[Row]
    # Every patient with an active booking in the grid: whose names the page shows.
    patient_nins: set[str]

    @property
    def slot_count(self) -> int:
        return sum(len(cell.entries) for row in self.rows for cell in row.cells)


def _slots(**filters) -> list[Slot]:
    active = Booking.objects.filter(status=BookingStatus.ACTIVE).order_by("created_at")
    last_sent = AppointmentMessage.objects.filter(slot=OuterRef("pk")).order_by("-pk").values("delivery")[:1]
    return list(
        Slot.objects.filter(**filters)
        .prefetch_related(Prefetch("bookings", queryset=active, to_attr="active_bookings"))
        .annotate(last_delivery=Subquery(last_sent))
        .order_by("start")
    )


def _closings(*, timebooks: list[Timebook], first: datetime.date, last: datetime.date):
    return AvailabilityException.objects.filter(
        timebook__in=timebooks, kind=ExceptionKind.CLOSED, date__gte=first, date__lte=last
    ).order_by("date", "start_time")


def _row_label(time: datetime.time, fold: int, repeated: set[datetime.time]) -> str:
    text = time.strftime("%H:%M")
    if time in repeated:
        # Both 02:xx rows on the night the clocks go back: say which is which.
        text += " " + (_("(normaltid)") if fold else _("(sommertid)"))
    return text


def _build(columns: list[Column], slots: list[Slot], column_of) -> Grid:
    tz = local_tz()
    by_key: dict[RowKey, dict[int, list[SlotEntry]]] = {}
    nins: set[str] = set()
    for slot in slots:
        start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
        index = column_of(slot, start)
        if index is None:
            continue
        bookings = slot.active_bookings  # type: ignore[attr-defined]
        nins.update(b.patient_nin for b in bookings)
        entry = SlotEntry(
            slot=slot,
            local_start=start,
            local_end=end,
            patients=[b.patient_name or b.patient_nin for b in bookings],
            in_closed_time=columns[index].closed_at(start.time()),
            delivery_rejected=getattr(slot, "last_delivery", "") == Delivery.REJECTED,
        )
        by_key.setdefault((start.time(), start.fold), {}).setdefault(index, []).append(entry)
    repeated = {time for time, fold in by_key if fold}
    rows = []
    for time, fold in sorted(by_key):
        entries = by_key[(time, fold)]
        cells = [
            Cell(entries=entries.get(i, []), closed=column.closed_at(time), column=column)
            for i, column in enumerate(columns)
        ]
        rows.append(Row(time=time, fold=fold, label=_row_label(time, fold, repeated), cells=cells))
    return Grid(columns=columns, rows=rows, patient_nins=nins)


def _apply_closings(columns: list[Column], closings, column_for) -> None:
    for closing in closings:
        column = column_for(closing)
        if column is None:
            continue
        if closing.start_time is None:
            column.closed_all_day = closing.reason
        else:
            column.closed_ranges.append((closing.start_time, closing.end_time, closing.reason))


def week_grid(*, timebook: Timebook, week_start: datetime.date) -> Grid:
    """One timebook's week: a column per day (Monday first), a row per slot start time."""
    days = [week_start + datetime.timedelta(days=offset) for offset in range(7)]
    columns = [Column(day=day, timebook=timebook, holiday=holiday_name(day)) for day in days]
    _apply_closings(
        columns,
        _closings(timebooks=[timebook], first=days[0], last=days[-1]),
        lambda closing: columns[(closing.date - week_start).days],
    )
    start, _end = local_day_bounds(days[0])
    _start, end = local_day_bounds(days[-1])
    slots = _slots(timebook=timebook, start__gte=start, start__lt=end)
    return _build(columns, slots, lambda slot, local_start: (local_start.date() - week_start).days)


def day_grid(*, timebooks: list[Timebook], day: datetime.date) -> Grid:
    """One day across timebooks: a column per timebook, a row per slot start time."""
    holiday = holiday_name(day)
    columns = [Column(day=day, timebook=timebook, holiday=holiday) for timebook in timebooks]
    index_of = {timebook.pk: i for i, timebook in enumerate(timebooks)}
    _apply_closings(
        columns,
        _closings(timebooks=timebooks, first=day, last=day),
        lambda closing: columns[index_of[closing.timebook_id]],
    )
    start, end = local_day_bounds(day)
    slots = _slots(timebook__in=timebooks, start__gte=start, start__lt=end) if timebooks else []
    return _build(columns, slots, lambda slot, local_start: index_of.get(slot.timebook_id))


def calendar_timebooks(*, organisation_id: int) -> list[Timebook]:
    """The organisation's active timebooks, in the order the desk lists them."""
    return list(Timebook.objects.filter(organisation_id=organisation_id, active=True).order_by("kind", "name"))
