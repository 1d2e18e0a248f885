"""The directory seed: California agencies an administrator can propose without typing them.

The file (chalicelib/static/california-agencies.csv) is comma-separated with a header row, and
lines starting with '#' state its provenance. Columns: name, agency_type, level, county, city,
ori, domains (space- or semicolon-separated). An ORI or a domain left empty is filled in by
the administrator who proposes the entry (from CLETS/NCIC or the agency's letterhead); the
proposal validates them like any other. Seed rows are suggestions: nothing in the file is
trusted, every entry is proposed and confirmed by two administrators like a typed one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

COLUMNS = ("name", "agency_type", "level", "county", "city", "ori", "domains")


class SeedFileError(ValueError):
    """The seed file is not in the expected shape; the message names the line."""


@dataclass(frozen=True)
class SeedAgency:
    line: int
    name: str
    agency_type: str
    level: str
    county: str
    city: str
    ori: str
    domains: tuple[str, ...]

    def as_proposal(self) -> dict[str, object]:
        """The body of POST /agencies for this row."""
        return {"name": self.name, "ori": self.ori, "agency_type": self.agency_type,
                "level": self.level, "county": self.county, "city": self.city,
                "domains": list(self.domains)}


def parse_seed(text: str) -> list[SeedAgency]:
    """Rows of a seed file; comment lines and blank lines are skipped."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise SeedFileError("the file has no header row")
    header = next(csv.reader([lines[0][1]]))
    if tuple(column.strip() for column in header) != COLUMNS:
        raise SeedFileError(f"line {lines[0][0]}: the header must be {','.join(COLUMNS)}")
    rows = []
    for number, line in lines[1:]:
        values = next(csv.reader(io.StringIO(line)))
        if len(values) != len(COLUMNS):
            raise SeedFileError(f"line {number}: {len(values)} fields, expected {len(COLUMNS)}")
        name, agency_type, level, county, city, ori, domains = (value.strip() for value in values)
        rows.append(SeedAgency(number, name, agency_type, level, county, city, ori,
                               tuple(domains.replace(";", " ").split())))
    return rows
