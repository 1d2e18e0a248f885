"""US issuing states: the codes plates are read and filtered by (pure, shared by recognition,
search and hotlist matching)."""

from __future__ import annotations

# Two-letter codes the classifier knows (the 50 states and DC), in its output order.
STATE_CODES: tuple[str, ...] = (
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
    "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
    "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VA", "VT", "WA", "WI", "WV", "WY",
)
STATE_NAMES: dict[str, str] = {
    "AK": "ALASKA", "AL": "ALABAMA", "AR": "ARKANSAS", "AZ": "ARIZONA", "CA": "CALIFORNIA",
    "CO": "COLORADO", "CT": "CONNECTICUT", "DC": "WASHINGTON DC", "DE": "DELAWARE",
    "FL": "FLORIDA", "GA": "GEORGIA", "HI": "HAWAII", "IA": "IOWA", "ID": "IDAHO",
    "IL": "ILLINOIS", "IN": "INDIANA", "KS": "KANSAS", "KY": "KENTUCKY", "LA": "LOUISIANA",
    "MA": "MASSACHUSETTS", "MD": "MARYLAND", "ME": "MAINE", "MI": "MICHIGAN", "MN": "MINNESOTA",
    "MO": "MISSOURI", "MS": "MISSISSIPPI", "MT": "MONTANA", "NC": "NORTH CAROLINA",
    "ND": "NORTH DAKOTA", "NE": "NEBRASKA", "NH": "NEW HAMPSHIRE", "NJ": "NEW JERSEY",
    "NM": "NEW MEXICO", "NV": "NEVADA", "NY": "NEW YORK", "OH": "OHIO", "OK": "OKLAHOMA",
    "OR": "OREGON", "PA": "PENNSYLVANIA", "RI": "RHODE ISLAND", "SC": "SOUTH CAROLINA",
    "SD": "SOUTH DAKOTA", "TN": "TENNESSEE", "TX": "TEXAS", "UT": "UTAH", "VA": "VIRGINIA",
    "VT": "VERMONT", "WA": "WASHINGTON", "WI": "WISCONSIN", "WV": "WEST VIRGINIA",
    "WY": "WYOMING",
}


def state_mismatch(read_state: str | None, entry_state: str) -> bool:
    """A hit whose read shows one state and whose hotlist entry names another (a known cause of
    wrongful stops): only when both are known."""
    return bool(read_state) and bool(entry_state) and read_state != entry_state
