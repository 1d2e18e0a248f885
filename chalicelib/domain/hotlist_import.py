"""Hotlist files: NCIC fixed-width extracts, comma-separated lists and California DOJ CLEW files.

One bad line never stops an import: it is skipped and counted by reason (reasons never quote the
line, so reports and logs carry no plate). A file that is not of its format at all, or a CLEW
file whose `TOTAL RECORD n` footer disagrees with the records read (a truncated download), is
refused whole with HotlistFileError, before anything is stored.

Column layouts (0-based, inclusive; lines shorter than a layout are padded with spaces):

NCIC extract (DESIGN.md section 3; the columns after the state are our choice, sized for the
NCIC vehicle codes VYR, VMA, VMO and VCO):
    0       record type (see NCIC_RECORD_TYPES; N = immigration violator, always filtered out)
    1-18    NCIC record number (NIC), kept as the entry's case number
    19-26   record date YYYYMMDD (kept as listed_on)
    27-36   plate
    37-38   plate state (blank allowed)
    39-42   vehicle year      43-46 vehicle make      47-49 vehicle model      50-56 vehicle color

CLEW table extract (svs, sfr, slr; which table is told by the file or list name):
    0-7     plate
    8-9     plate state (blank allowed)
    10-11   county code 01-58 (blank allowed)
    12-19   date of loss YYYYMMDD (blank allowed; kept as listed_on)
    20-34   DOJ record / case number (blank allowed)
    35-38   vehicle year      39-42 vehicle make      43-49 vehicle color
    footer  `TOTAL RECORD n` (or `TOTAL RECORDS n`): the number of record lines, checked.

Comma-separated: a header row naming the columns, in any order, extra columns ignored:
plate (required), state, category, case_number, reason, expires (YYYY-MM-DD, M/D/YYYY or ISO
8601 time; blank = 30 days), priority. These are entries typed by people, so every custom-entry
rule applies per row (case number, reason, approver other than the importer, expiry).
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from chalicelib.domain.hotlist import (
    CATEGORY_PRIORITY,
    Category,
    HotlistEntry,
    InvalidHotlistEntry,
    Source,
    custom_entry,
    entry_id_for,
    is_immigration_category,
    mentions_immigration,
    normalize_state,
)
from chalicelib.domain.plates import InvalidPlate, normalize_plate

FORMAT_NCIC = "ncic"
FORMAT_CSV = "csv"
FORMAT_CLEW = "clew"
FORMATS = (FORMAT_NCIC, FORMAT_CSV, FORMAT_CLEW)

# NCIC record type (column 0) -> category. Our mapping, documented for the records unit:
# V stolen vehicle, L stolen license plate, W wanted person (vehicle linked), M missing person,
# F felony vehicle (used in a felony), A AMBER alert. N (immigration violator) is filtered out.
NCIC_RECORD_TYPES: Mapping[str, str] = {
    "V": Category.STOLEN_VEHICLE,
    "L": Category.STOLEN_PLATE,
    "W": Category.WANTED,
    "M": Category.MISSING_PERSON,
    "F": Category.FELONY_VEHICLE,
    "A": Category.AMBER_ALERT,
}
NCIC_IMMIGRATION_TYPE = "N"

# CLEW table -> category: SVS stolen vehicles, SFR stolen/felony vehicles, SLR stolen plates.
CLEW_TABLES: Mapping[str, str] = {
    "svs": Category.STOLEN_VEHICLE,
    "sfr": Category.FELONY_VEHICLE,
    "slr": Category.STOLEN_PLATE,
}

# Imported entries are replaced by each daily load; ones the source dropped stop alerting at the
# freshness limit and are purged by TTL a few days later.
IMPORTED_TTL_DAYS = 7
PROGRESS_EVERY = 1000
# Line numbers of skipped lines kept in the report (counts by reason are always complete).
MAX_REPORTED_SKIPS = 200
_DETECT_LINES = 20

_NCIC_LINE = re.compile(r"^[A-Z][ A-Z0-9-]{18}\d{8}[ A-Z0-9-]{10}")
_CLEW_LINE = re.compile(r"^[ A-Z0-9-]{8}(?:[A-Z]{2}| {2})(?:\d{2}| {2})\d{8}")
_CLEW_FOOTER = re.compile(r"^\s*TOTAL\s+RECORDS?\s*[:=]?\s*(\d+)\s*$", re.IGNORECASE)
_LIST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CSV_ALIASES = {
    "plate": "plate", "plate_number": "plate", "license_plate": "plate", "lic": "plate",
    "state": "state", "plate_state": "state", "lis": "state",
    "category": "category", "type": "category",
    "case_number": "case_number", "case": "case_number", "case_no": "case_number",
    "reason": "reason", "notes": "reason",
    "expires": "expires", "expires_at": "expires", "expiry": "expires",
    "expiration": "expires", "priority": "priority",
}
_CATEGORY_ALIASES = {
    "stolen": Category.STOLEN_VEHICLE, "stolen_car": Category.STOLEN_VEHICLE,
    "stolen_license_plate": Category.STOLEN_PLATE, "amber": Category.AMBER_ALERT,
    "missing": Category.MISSING_PERSON, "felony": Category.FELONY_VEHICLE,
    "custom": Category.OTHER, "": Category.OTHER,
}

Progress = Callable[[int], None]


class HotlistFileError(ValueError):
    """The file as a whole cannot be imported; nothing from it may be stored."""


# Control flow inside the parsers only; neither escapes this module.
class _SkipLine(Exception):
    """This line is skipped for the given reason."""


class _Immigration(Exception):
    """This line is an immigration-enforcement record and is filtered out."""


@dataclass(frozen=True)
class ImportReport:
    """What an import read, kept, skipped (by reason, and where) and filtered out."""

    file_format: str
    list_name: str
    total_lines: int
    accepted: int
    filtered_immigration: int
    skipped_by_reason: Mapping[str, int]
    # (line number, reason) of the first MAX_REPORTED_SKIPS skipped lines, 1-based.
    skipped_lines: tuple[tuple[int, str], ...]

    @property
    def skipped(self) -> int:
        return sum(self.skipped_by_reason.values())


@dataclass(frozen=True)
class ImportResult:
    """The entries to store and the report to show the person importing."""

    entries: tuple[HotlistEntry, ...]
    report: ImportReport


@dataclass(frozen=True)
class _Context:
    list_name: str
    now: datetime
    added_by: str
    approved_by: str
    clew_category: str = ""

    @property
    def loaded_at(self) -> str:
        return self.now.astimezone(UTC).isoformat()

    @property
    def imported_expiry(self) -> int:
        return int((self.now + timedelta(days=IMPORTED_TTL_DAYS)).timestamp())


@dataclass
class _Tally:
    """Accumulates one import (mutable, private to this module)."""

    progress: Progress | None
    total_lines: int = 0
    filtered_immigration: int = 0
    entries: dict[str, HotlistEntry] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    _unreported: int = 0

    def count_line(self) -> None:
        self.total_lines += 1
        self._unreported += 1
        if self._unreported >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.progress is not None and self._unreported:
            self.progress(self._unreported)
        self._unreported = 0

    def skip(self, line_number: int, reason: str) -> None:
        self.reasons[reason] += 1
        if len(self.skipped_lines) < MAX_REPORTED_SKIPS:
            self.skipped_lines.append((line_number, reason))

    def accept(self, line_number: int, entry: HotlistEntry) -> None:
        if entry.entry_id in self.entries:
            self.skip(line_number, "duplicate record")
        else:
            self.entries[entry.entry_id] = entry

    def result(self, file_format: str, list_name: str) -> ImportResult:
        self.flush()
        report = ImportReport(
            file_format=file_format, list_name=list_name, total_lines=self.total_lines,
            accepted=len(self.entries), filtered_immigration=self.filtered_immigration,
            skipped_by_reason=dict(sorted(self.reasons.items())),
            skipped_lines=tuple(self.skipped_lines),
        )
        return ImportResult(tuple(self.entries.values()), report)


def detect_format(first_lines: Iterable[str]) -> str:
    """The format of a file from its first lines: "ncic", "csv" or "clew"."""
    lines = [line.rstrip("\r\n") for line in first_lines if line.strip()][:_DETECT_LINES]
    if not lines:
        raise HotlistFileError("the file is empty")
    header = [_column(name) for name in lines[0].split(",")]
    if "," in lines[0] and "plate" in header:
        return FORMAT_CSV
    if _CLEW_FOOTER.match(lines[0]):
        return FORMAT_CLEW
    clew = sum(_looks_like_clew(line) for line in lines)
    ncic = sum(_looks_like_ncic(line) for line in lines)
    if max(clew, ncic) * 2 <= len(lines):
        raise HotlistFileError(
            "not a hotlist file: expected an NCIC extract, a CLEW extract or a comma-separated "
            "list with a header naming a plate column")
    return FORMAT_CLEW if clew >= ncic else FORMAT_NCIC


def clew_table_for(name: str) -> str | None:
    """The CLEW table (svs, sfr, slr) a file or list name mentions, if exactly one."""
    tokens = set(re.split(r"[^a-z]+", Path(name).name.lower()))
    found = [table for table in CLEW_TABLES if table in tokens]
    return found[0] if len(found) == 1 else None


def import_file(source: str | os.PathLike[str] | Iterable[str], list_name: str, now: datetime,
                progress: Progress | None = None, *, file_format: str | None = None,
                clew_table: str | None = None, added_by: str = "",
                approved_by: str = "") -> ImportResult:
    """Parse a hotlist file (a path, or its lines) into entries and a report.

    `progress(n)` is called with the number of lines read since its previous call, every
    PROGRESS_EVERY lines and once at the end, so a CLI can pass `tqdm(...).update`.
    """
    if not _LIST_NAME.match(list_name):
        raise HotlistFileError("list name must be 1-64 letters, digits, '.', '_' or '-'")
    if now.tzinfo is None:
        raise HotlistFileError("the import time must carry a time zone")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return _import_lines(handle, list_name, now, progress, file_format,
                                 clew_table or clew_table_for(path.name), added_by, approved_by)
    return _import_lines(iter(source), list_name, now, progress, file_format, clew_table,
                         added_by, approved_by)


def _import_lines(lines: Iterable[str], list_name: str, now: datetime, progress: Progress | None,
                  file_format: str | None, clew_table: str | None, added_by: str,
                  approved_by: str) -> ImportResult:
    iterator = iter(lines)
    head = list(itertools.islice(iterator, _DETECT_LINES))
    chosen = file_format or detect_format(head)
    if chosen not in FORMATS:
        raise HotlistFileError(f"unknown format; expected one of {', '.join(FORMATS)}")
    context = _Context(list_name, now, added_by.strip(), approved_by.strip())
    tally = _Tally(progress)
    stream = _counted(itertools.chain(head, iterator), tally)
    if chosen == FORMAT_NCIC:
        _read_ncic(stream, tally, context)
    elif chosen == FORMAT_CLEW:
        table = clew_table or clew_table_for(list_name)
        if table is None or table not in CLEW_TABLES:
            raise HotlistFileError(
                "CLEW table unknown: name the file or list after svs, sfr or slr")
        _read_clew(stream, tally, _Context(list_name, now, context.added_by,
                                           context.approved_by, CLEW_TABLES[table]))
    else:
        _read_csv(stream, tally, context)
    return tally.result(chosen, list_name)


def _counted(lines: Iterable[str], tally: _Tally) -> Iterator[str]:
    for line in lines:
        tally.count_line()
        yield line.rstrip("\r\n")


def _read_ncic(lines: Iterable[str], tally: _Tally, context: _Context) -> None:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            _parse_into(tally, number, partial(_ncic_entry, line, context))


def _parse_into(tally: _Tally, number: int, parse: Callable[[], HotlistEntry]) -> None:
    """Run one line's parser, filing its entry, its skip reason or its filtering."""
    try:
        tally.accept(number, parse())
    except _Immigration:
        tally.filtered_immigration += 1
    except _SkipLine as skip:
        tally.skip(number, str(skip))


def _read_clew(lines: Iterable[str], tally: _Tally, context: _Context) -> None:
    footer: int | None = None
    records = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if footer is not None:
            raise HotlistFileError("CLEW file has records after its TOTAL RECORD footer")
        match = _CLEW_FOOTER.match(line)
        if match:
            footer = int(match[1])
            continue
        records += 1
        _parse_into(tally, number, partial(_clew_entry, line, context))
    if footer is None:
        raise HotlistFileError("CLEW file has no TOTAL RECORD footer; it may be truncated")
    if footer != records:
        raise HotlistFileError(
            f"CLEW footer says {footer} records but the file holds {records}; refusing the file")


def _ncic_entry(line: str, context: _Context) -> HotlistEntry:
    padded = line.ljust(57)
    if len(line.rstrip()) < 28:
        raise _SkipLine("line too short")
    record_type = padded[0]
    if record_type == NCIC_IMMIGRATION_TYPE:
        raise _Immigration
    category = NCIC_RECORD_TYPES.get(record_type)
    if category is None:
        raise _SkipLine("unknown record type")
    listed_on = _yyyymmdd(padded[19:27], required=True)
    return _imported_entry(
        context, Source.NCIC, category, plate=padded[27:37], state=padded[37:39],
        case_number=padded[1:19].strip(), listed_on=listed_on,
        reason=f"NCIC {category.replace('_', ' ')}",
        vehicle=(padded[39:43], padded[43:47], padded[47:50], padded[50:57]),
    )


def _clew_entry(line: str, context: _Context) -> HotlistEntry:
    padded = line.ljust(50)
    county = padded[10:12].strip()
    if county and not (county.isdigit() and 1 <= int(county) <= 58):
        raise _SkipLine("bad county code")
    listed_on = _yyyymmdd(padded[12:20], required=False)
    category = context.clew_category
    reason = f"CLEW {category.replace('_', ' ')}" + (f", county {county}" if county else "")
    return _imported_entry(
        context, Source.CLEW, category, plate=padded[0:8], state=padded[8:10],
        case_number=padded[20:35].strip(), listed_on=listed_on, reason=reason,
        vehicle=(padded[35:39], padded[39:43], "", padded[43:50]),
    )


def _imported_entry(context: _Context, source: str, category: str, *, plate: str, state: str,
                    case_number: str, listed_on: str, reason: str,
                    vehicle: tuple[str, str, str, str]) -> HotlistEntry:
    try:
        listed = normalize_plate(plate)
    except InvalidPlate as error:
        raise _SkipLine("invalid plate") from error
    try:
        state = normalize_state(state)
    except InvalidHotlistEntry as error:
        raise _SkipLine("invalid state") from error
    year, make, model, color = (part.strip() for part in vehicle)
    return HotlistEntry(
        entry_id=entry_id_for(context.list_name, listed, state, case_number),
        plate=listed, is_pattern=False, state=state, category=category, source=source,
        case_number=case_number, reason=reason, added_by=context.added_by, approved_by="",
        list_name=context.list_name, listed_on=listed_on, loaded_at=context.loaded_at,
        expires_at=context.imported_expiry, priority=CATEGORY_PRIORITY[category],
        vehicle_year=year, vehicle_make=make, vehicle_model=model, vehicle_color=color,
    )


def _read_csv(lines: Iterable[str], tally: _Tally, context: _Context) -> None:
    if not context.added_by or not context.approved_by:
        raise HotlistFileError(
            "a comma-separated list is hand-made: give who imports it (added_by) and who "
            "approved it (approved_by)")
    reader = csv.reader(lines)
    columns: dict[str, int] | None = None
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _csv_columns(row)
            continue
        values = {name: row[index].strip() if index < len(row) else ""
                  for name, index in columns.items()}
        _parse_into(tally, reader.line_num, partial(_csv_entry, values, context))
    if columns is None:
        raise HotlistFileError("the comma-separated file has no header row")


def _csv_columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _column(name)
        if key is not None and key not in columns:
            columns[key] = index
    if "plate" not in columns:
        raise HotlistFileError("the comma-separated file's header names no plate column")
    return columns


def _column(name: str) -> str | None:
    """Our name for a header cell (case, spaces, dashes and a BOM ignored), if we know it."""
    return _CSV_ALIASES.get(re.sub(r"[\s-]+", "_", name.strip().lstrip("\ufeff").lower()))


def _csv_entry(values: Mapping[str, str], context: _Context) -> HotlistEntry:
    category_text = values.get("category", "")
    if is_immigration_category(category_text) or mentions_immigration(values.get("reason", "")):
        raise _Immigration
    category = re.sub(r"[\s-]+", "_", category_text.lower())
    category = _CATEGORY_ALIASES.get(category, category)
    try:
        return custom_entry(
            plate=values.get("plate", ""), state=values.get("state", ""), category=category,
            case_number=values.get("case_number", ""), reason=values.get("reason", ""),
            added_by=context.added_by, approved_by=context.approved_by, now=context.now,
            list_name=context.list_name, expires=_csv_expiry(values.get("expires", "")),
            priority=_csv_priority(values.get("priority", "")), source=Source.CSV,
        )
    except InvalidHotlistEntry as error:
        raise _SkipLine(str(error)) from error


def _csv_expiry(text: str) -> datetime | None:
    """Blank: default expiry. A date means through the end of that day (UTC)."""
    if not text:
        return None
    for parse in (_iso_date, _us_date):
        day = parse(text)
        if day is not None:
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise _SkipLine("unreadable expiry") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _csv_priority(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise _SkipLine("priority must be a number from 1 to 9")
    return int(text)


def _iso_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise _SkipLine("unreadable expiry") from error


def _us_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match is None:
        return None
    try:
        return date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError as error:
        raise _SkipLine("unreadable expiry") from error


def _yyyymmdd(text: str, required: bool) -> str:
    if not text.strip() and not required:
        return ""
    day = _calendar_date(text)
    if day is None:
        raise _SkipLine("bad date")
    return day.isoformat()


def _calendar_date(text: str) -> date | None:
    if not re.fullmatch(r"(19|20)\d{6}", text):
        return None
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _looks_like_ncic(line: str) -> bool:
    return (_NCIC_LINE.match(line) is not None and line[0] in NCIC_RECORD_TYPES.keys() | {"N"}
            and _calendar_date(line[19:27]) is not None)


def _looks_like_clew(line: str) -> bool:
    return (_CLEW_FOOTER.match(line) is not None
            or (_CLEW_LINE.match(line) is not None and _calendar_date(line[12:20]) is not None))
