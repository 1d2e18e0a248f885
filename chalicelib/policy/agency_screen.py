"""The agency screen: names, ORIs and mail domains that mark a body ALPR data may not go to.

Civil Code 1798.90.55(b): a public agency shall not sell, share or transfer ALPR information
except to another public agency; 1798.90.5(f) defines "public agency" as the state, a city, a
county or a city and county, or an agency or political subdivision of them; the Attorney
General's bulletin 2023-DLE-06 reads this as California state and local agencies only: not
federal agencies, not agencies of other states, not private parties. Policy 428.7 narrows it
further to law enforcement and prosecutors (the directory entry's type).

The screen runs on every directory proposal (a marked entry is refused, so it can never be
confirmed), again on the entry when a release to it is approved (an entry edited in the table
afterwards is caught), and on an unlisted agency's name and the sender's mail domain when a
request is filed. It is a list of tables, not a model: each row says what it matches and why.

How the name is read: lower case, apostrophe-s dropped ("Sheriff's" -> "sheriff"), then words
of letters and digits ("U.S." -> "u s", "L.L.C." -> "l l c"). A row matches a run of whole
words, so "ice" never matches inside "police", and "Marshals" (the U.S. Marshals Service) is
not "Marshal's" (a California marshal's office, "marshal").

Look-alikes both ways, and how they are told apart:
- Californian places that contain another state's or city's name are exempt where they occur:
  Nevada County, Nevada City, La Mesa, Costa Mesa, Santa Fe Springs, El Paso de Robles.
  "Nevada Highway Patrol" and "Carson City Sheriff" (Nevada) stay marked; "Mesa Police
  Department" (Arizona) too.
- Bodies that exist at federal and state level ("Department of Justice", "Attorney General",
  "Highway Patrol", "Homeland Security", "Fish and Wildlife", ...) must name California: the
  California Department of Justice may receive data, the U.S. Department of Justice (marked by
  "U.S." anyway) and an unqualified "Department of Justice" may not.
- A county must be one of California's 58: "Washoe County Sheriff" and "Maricopa County" are
  marked, "Kern Co. Sheriff's Office" is not ("Co." after a county's name means County;
  anywhere else it means Company).
- Universities: the University of California, the California State University and community
  college districts are public; the University of Southern California, Stanford, Caltech and
  every other university or college are not.
- Names the screen cannot tell apart (an Orange County sheriff exists in California and in
  Florida; Glendale and Pasadena police in several states) are decided by the ORI, whose first
  two letters are the state, and by the mail domains; and every entry needs a second
  administrator's confirmation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.agencies import CALIFORNIA_COUNTIES, Jurisdiction, normalize_ori


class MarkKind(StrEnum):
    FEDERAL = "federal"
    OTHER_STATE = "other_state"
    FOREIGN = "foreign"
    TRIBAL = "tribal"
    PRIVATE = "private"


CLAUSES: dict[MarkKind, str] = {
    MarkKind.FEDERAL: "Civil Code 1798.90.55(b), AG bulletin 2023-DLE-06: ALPR information is "
                      "not shared with federal agencies",
    MarkKind.OTHER_STATE: "Civil Code 1798.90.55(b), AG bulletin 2023-DLE-06: ALPR information "
                          "is not shared with agencies of other states",
    MarkKind.FOREIGN: "Civil Code 1798.90.5(f), 1798.90.55(b): only California state and local "
                      "public agencies, not foreign or international bodies",
    MarkKind.TRIBAL: "Civil Code 1798.90.5(f), 1798.90.55(b): only California state and local "
                     "public agencies (a tribal government is not one of them)",
    MarkKind.PRIVATE: "Civil Code 1798.90.55(b): only to another public agency, never to a "
                      "private person, company or association",
}
JURISDICTION_OF: dict[MarkKind, Jurisdiction] = {
    MarkKind.FEDERAL: Jurisdiction.FEDERAL, MarkKind.OTHER_STATE: Jurisdiction.OTHER_STATE,
    MarkKind.FOREIGN: Jurisdiction.OTHER_STATE, MarkKind.TRIBAL: Jurisdiction.OTHER_STATE,
    MarkKind.PRIVATE: Jurisdiction.PRIVATE,
}

F, S, X, T, P = (MarkKind.FEDERAL, MarkKind.OTHER_STATE, MarkKind.FOREIGN, MarkKind.TRIBAL,
                 MarkKind.PRIVATE)

# ---------------------------------------------------------------------- the name tables
# Words that mark a body whatever else the name says.
ALWAYS: tuple[tuple[str, MarkKind, str], ...] = (
    # federal
    ("u s", F, "U.S. (a federal body)"), ("us", F, "US (a federal body)"),
    ("usa", F, "USA (a federal body)"), ("united states", F, "United States"),
    ("federal", F, "Federal"), ("department of homeland security", F, "Homeland Security"),
    ("dhs", F, "DHS"), ("immigration", F, "immigration"), ("customs", F, "customs"),
    ("ice", F, "ICE"), ("cbp", F, "CBP"), ("border patrol", F, "Border Patrol"),
    ("hsi", F, "HSI"), ("fbi", F, "FBI"), ("dea", F, "DEA"),
    ("drug enforcement administration", F, "Drug Enforcement Administration"),
    ("atf", F, "ATF"), ("alcohol tobacco", F, "Alcohol, Tobacco, Firearms"),
    ("marshals", F, "Marshals (U.S. Marshals Service)"), ("usms", F, "USMS"),
    ("usdoj", F, "USDOJ"), ("secret service", F, "Secret Service"),
    ("postal", F, "Postal Inspection/Postal Service"), ("usps", F, "USPS"),
    ("tsa", F, "TSA"), ("transportation security administration", F, "TSA"),
    ("irs", F, "IRS"), ("internal revenue", F, "Internal Revenue"),
    ("navy", F, "Navy"), ("naval", F, "Naval"), ("army", F, "Army"), ("air force", F, "Air Force"),
    ("marine corps", F, "Marine Corps"), ("coast guard", F, "Coast Guard"),
    ("military", F, "military"), ("ncis", F, "NCIS"),
    ("department of defense", F, "Department of Defense"), ("pentagon", F, "Pentagon"),
    ("national park service", F, "National Park Service"),
    ("forest service", F, "Forest Service"),
    ("bureau of land management", F, "Bureau of Land Management"),
    ("bureau of prisons", F, "Bureau of Prisons"),
    ("bureau of indian affairs", F, "Bureau of Indian Affairs"),
    ("fish and wildlife service", F, "Fish and Wildlife Service"),
    ("amtrak", F, "Amtrak (a federally chartered railroad)"),
    ("hidta", F, "HIDTA (a federal drug task force program)"),
    ("joint terrorism", F, "Joint Terrorism Task Force"), ("jttf", F, "JTTF"),
    # other states and their places (California look-alikes are exempt below)
    *((state, S, state.title()) for state in (
        "alabama", "alaska", "arizona", "arkansas", "colorado", "connecticut", "delaware",
        "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas",
        "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota",
        "mississippi", "missouri", "montana", "nebraska", "nevada", "new hampshire",
        "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio",
        "oklahoma", "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota",
        "tennessee", "texas", "utah", "vermont", "virginia", "washington", "wisconsin",
        "wyoming", "district of columbia", "puerto rico", "guam")),
    *((place, S, f"{place.title()} (outside California)") for place in (
        "carson city", "las vegas", "reno", "henderson", "sparks", "washoe", "phoenix",
        "tucson", "mesa", "yuma", "flagstaff", "lake havasu", "bullhead city", "kingman",
        "laughlin", "stateline", "portland", "seattle", "tacoma", "spokane", "boise",
        "salt lake", "denver", "houston", "dallas", "austin", "san antonio", "el paso",
        "albuquerque", "santa fe", "chicago", "miami", "atlanta", "boston", "philadelphia",
        "detroit", "medford", "klamath falls", "grants pass", "federal way")),
    ("parish", S, "Parish (Louisiana)"), ("borough", S, "Borough (outside California)"),
    # foreign and international
    ("baja california", X, "Baja California (Mexico)"), ("mexico", X, "Mexico"),
    ("mexicali", X, "Mexicali (Mexico)"), ("tijuana", X, "Tijuana (Mexico)"),
    ("ensenada", X, "Ensenada (Mexico)"), ("policia", X, "Policía (a foreign force)"),
    ("canada", X, "Canada"), ("canadian", X, "Canadian"), ("rcmp", X, "RCMP"),
    ("provincial", X, "Provincial (a Canadian province)"),
    ("british columbia", X, "British Columbia"),
    ("interpol", X, "Interpol"), ("europol", X, "Europol"),
    # tribal governments
    ("tribe", T, "tribe"), ("tribes", T, "tribes"), ("tribal", T, "tribal"),
    ("band of", T, "band of ... Indians"), ("rancheria", T, "rancheria"),
    ("indians", T, "Indians"), ("reservation", T, "reservation"), ("nation", T, "Nation"),
    # private persons, companies, associations, vendors
    ("llc", P, "LLC"), ("l l c", P, "L.L.C."), ("inc", P, "Inc."),
    ("incorporated", P, "Incorporated"), ("corp", P, "Corp."), ("corporation", P, "Corporation"),
    ("company", P, "Company"), ("& co", P, "& Co."), ("ltd", P, "Ltd."), ("limited", P, "Limited"),
    ("llp", P, "LLP"), ("l l p", P, "L.L.P."), ("pllc", P, "PLLC"), ("holdings", P, "Holdings"),
    ("enterprises", P, "Enterprises"), ("associates", P, "Associates"),
    ("association", P, "Association (a private membership body)"),
    ("foundation", P, "Foundation"), ("recovery", P, "recovery"),
    ("repossession", P, "repossession"), ("repossessions", P, "repossessions"),
    ("repo", P, "repo"), ("towing", P, "towing"), ("tow", P, "tow"),
    ("insurance", P, "insurance"), ("insurer", P, "insurer"), ("insurers", P, "insurers"),
    ("underwriters", P, "underwriters"), ("parking", P, "parking"), ("bail", P, "bail"),
    ("security services", P, "security services"), ("private", P, "private"),
    ("detective agency", P, "detective agency"), ("collections", P, "collections"),
    ("adjusters", P, "adjusters"), ("solutions", P, "Solutions (a company)"),
    ("technologies", P, "Technologies (a company)"), ("analytics", P, "Analytics (a company)"),
    ("railroad", P, "railroad police (employed by a private railroad)"),
    ("railway", P, "railway (a private railroad)"), ("bnsf", P, "BNSF"),
    ("union pacific", P, "Union Pacific"),
    *((vendor, P, f"{vendor.title()} (a vendor)") for vendor in (
        "vigilant", "flock", "motorola", "rekor", "genetec", "axon", "lexisnexis", "lexis",
        "thomson reuters", "transunion", "palantir", "digital recognition network", "drn",
        "mvtrac", "leadsonline", "securitas", "allied universal", "pinkerton", "g4s",
        "kaiser")),
    *((school, P, f"{school.title()} (a private university)") for school in (
        "stanford", "university of southern california", "usc",
        "california institute of technology", "caltech", "pepperdine", "santa clara university",
        "loyola", "university of san francisco", "university of san diego",
        "university of the pacific", "chapman university", "claremont colleges",
        "azusa pacific", "biola", "point loma nazarene", "university of la verne")),
)

# Bodies that exist in the federal government and in many states: marked unless the name
# names California (or one of its counties: the Los Angeles County Office of Inspector General).
NEEDS_CALIFORNIA: tuple[tuple[str, MarkKind, str], ...] = (
    ("department of justice", F, "a Department of Justice that is not California's"),
    ("doj", F, "a DOJ that is not California's"),
    ("attorney general", F, "an Attorney General who is not California's"),
    ("bureau of investigation", F, "a Bureau of Investigation that is not California's"),
    ("homeland security", F, "a Homeland Security office that is not California's"),
    ("national guard", F, "a National Guard that is not California's"),
    ("inspector general", F, "an Inspector General who is not California's"),
    ("veterans affairs", F, "a Veterans Affairs department that is not California's"),
    ("fish and wildlife", F, "a fish and wildlife agency that is not California's"),
    ("highway patrol", S, "a Highway Patrol that is not California's"),
    ("state police", S, "a State Police (California has none: its state police merged into "
                        "the CHP)"),
    ("state patrol", S, "a State Patrol that is not California's"),
    ("department of insurance", S, "a Department of Insurance that is not California's"),
    ("department of corrections", S, "a Department of Corrections that is not California's"),
    ("department of motor vehicles", S, "a Department of Motor Vehicles that is not "
                                        "California's"),
)
CALIFORNIA_WORDS = ("california", "cal", "ca")

# Californian names that contain a word of the tables above: exempt where they occur.
EXEMPT: tuple[str, ...] = (
    "nevada county", "nevada city", "la mesa", "costa mesa", "santa fe springs",
    "el paso de robles", "department of insurance",
)

# Public universities (anything else called a university or college is private).
PUBLIC_UNIVERSITIES: tuple[str, ...] = (
    "university of california", "california state university", "state university",
    "cal state", "community college", "college district", "community colleges",
)
UNIVERSITY_WORDS = ("university", "college", "colleges")

# A name must read as a public body: one of these words.
PUBLIC_BODY_WORDS: tuple[str, ...] = (
    "police", "sheriff", "sheriffs", "district attorney", "attorney general", "prosecutor",
    "department", "office", "patrol", "bureau", "division", "agency", "marshal", "public safety",
    "probation", "authority", "district", "commission", "task force", "unit", "justice",
    "corrections", "investigation", "investigations", "enforcement", "county", "city", "state",
    "constable", "coroner", "ranger", "rangers", "warden", "wardens", "highway patrol",
    "california", "cal", "ca", "pd", "da", "dps", "chp", "so",
)

COUNTY_WORDS = ("county",)
_COUNTIES = tuple(tuple(county.casefold().split()) for county in CALIFORNIA_COUNTIES)

# ---------------------------------------------------------------------- ORIs and domains
US_STATE_CODES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
))
# A federal agency's own ORIs carry its initials after the state code (DCFBIWA00 is FBI
# headquarters); a California local agency's carry the county's number (CA019...).
FEDERAL_ORI_LETTERS = frozenset({"FBI", "DEA", "ATF", "ICE", "CBP", "DHS", "USM", "INS", "IRS",
                                 "HSI", "BOP", "TSA", "USP", "USA", "DOJ", "USS", "NPS"})
FEDERAL_DOMAINS: tuple[str, ...] = (
    "dhs.gov", "ice.gov", "cbp.gov", "uscis.gov", "fbi.gov", "dea.gov", "justice.gov",
    "usdoj.gov", "atf.gov", "usmarshals.gov", "secretservice.gov", "usss.gov", "tsa.gov",
    "treasury.gov", "irs.gov", "usps.gov", "uspis.gov", "state.gov", "doi.gov", "nps.gov",
    "usda.gov", "va.gov", "defense.gov", "uscourts.gov", "amtrak.com",
)
FEDERAL_SUFFIXES = (".mil", ".fed.us")
STATE_NAMES_IN_DOMAINS = frozenset((
    "alabama", "alaska", "arizona", "arkansas", "colorado", "connecticut", "delaware",
    "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas",
    "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota",
    "mississippi", "missouri", "montana", "nebraska", "nevada", "newhampshire", "newjersey",
    "newmexico", "newyork", "northcarolina", "northdakota", "ohio", "oklahoma", "oregon",
    "pennsylvania", "rhodeisland", "southcarolina", "southdakota", "tennessee", "texas", "utah",
    "vermont", "virginia", "washington", "westvirginia", "wisconsin", "wyoming",
))
PERSONAL_MAIL = frozenset({"gmail.com", "googlemail.com", "yahoo.com", "outlook.com",
                           "hotmail.com", "live.com", "icloud.com", "me.com", "aol.com",
                           "proton.me", "protonmail.com", "gmx.com", "mail.com", "zoho.com"})
VENDOR_DOMAIN_PREFIXES = ("vigilant", "flock", "motorola", "rekor", "genetec", "axon", "lexis",
                          "thomsonreuters", "transunion", "palantir", "drn", "mvtrac",
                          "leadsonline")


@dataclass(frozen=True)
class Mark:
    """One reason the body may not receive data: what matched, where, and the clause."""

    kind: MarkKind
    source: str   # "name", "ori" or "domain"
    matched: str
    reason: str

    @property
    def clause(self) -> str:
        return CLAUSES[self.kind]


@dataclass(frozen=True)
class Screening:
    marks: tuple[Mark, ...]

    @property
    def refused(self) -> bool:
        return bool(self.marks)

    @property
    def jurisdiction(self) -> Jurisdiction:
        """The jurisdiction the first mark implies (CALIFORNIA when nothing is marked)."""
        return JURISDICTION_OF[self.marks[0].kind] if self.marks else Jurisdiction.CALIFORNIA

    def explanation(self) -> str:
        """One sentence per mark: the reason and the clause it answers to."""
        return "; ".join(f"{mark.source} marks a {mark.kind.value.replace('_', ' ')} body "
                         f"({mark.reason}): {mark.clause}" for mark in self.marks)


def screen_agency(name: str, ori: str = "", domains: Iterable[str] = ()) -> Screening:
    """Every mark the name, the ORI and the mail domains carry (none: the screen passes)."""
    marks = [*screen_name(name), *screen_ori(ori)]
    for domain in domains:
        marks += screen_domain(domain)
    return Screening(tuple(marks))


def screen_name(name: str) -> list[Mark]:
    words = name_words(name)
    exempt = _covered(words, EXEMPT)
    marks: list[Mark] = []
    for phrase, kind, reason in ALWAYS:
        if _found(words, phrase, exempt):
            marks.append(Mark(kind, "name", phrase, reason))
    if not _names_california(words):
        for phrase, kind, reason in NEEDS_CALIFORNIA:
            if _found(words, phrase, frozenset()):
                marks.append(Mark(kind, "name", phrase, reason))
    marks += _county_marks(words) + _university_marks(words)
    if not marks and not any(_found(words, phrase, frozenset()) for phrase in PUBLIC_BODY_WORDS):
        marks.append(Mark(P, "name", name.strip()[:60],
                          "does not name a public body (police, sheriff, district attorney, "
                          "department, office, ...)"))
    return _unique(marks)


def screen_ori(ori: str) -> list[Mark]:
    text = normalize_ori(ori)
    if not text:
        return []
    prefix, letters = text[:2], text[2:5]
    if letters in FEDERAL_ORI_LETTERS:
        return [Mark(F, "ori", text, f"ORI letters {letters} (a federal agency's identifier)")]
    if prefix not in US_STATE_CODES:
        return [Mark(X, "ori", text, f"ORI prefix {prefix} is not a U.S. state's code")]
    if prefix != "CA":
        return [Mark(S, "ori", text, f"ORI prefix {prefix}: an agency of another state")]
    return []


def screen_domain(domain: str) -> list[Mark]:
    """Marks of one mail domain: federal, another state's, a personal mail service, a vendor."""
    text = domain.strip().lower().removeprefix("@").rstrip(".")
    if not text:
        return []
    labels = text.split(".")
    if text.endswith(FEDERAL_SUFFIXES) or any(_within(text, item) for item in FEDERAL_DOMAINS):
        return [Mark(F, "domain", text, "a federal mail domain")]
    # A state's own domains: <state>.gov and <...>.<state>.us (co.fresno.ca.us is California).
    if labels[-1] in {"gov", "us"} and len(labels) >= 2:
        state = labels[-2]
        if state.upper() in US_STATE_CODES and state != "ca":
            return [Mark(S, "domain", text, f"the {state.upper()} state domain")]
        if state in STATE_NAMES_IN_DOMAINS:
            return [Mark(S, "domain", text, f"the {state} state domain")]
    if labels[-1] in {"mx", "ca"}:  # Mexico, Canada (California's domains end .ca.gov/.ca.us)
        return [Mark(X, "domain", text, "a foreign country's domain")]
    if text in PERSONAL_MAIL:
        return [Mark(P, "domain", text, "a personal mail service, not an agency's domain")]
    if any(label.startswith(VENDOR_DOMAIN_PREFIXES) for label in labels[:-1]):
        return [Mark(P, "domain", text, "a vendor's mail domain")]
    return []


def name_words(name: str) -> tuple[str, ...]:
    """The name as whole lower-case words ('Sheriff's' -> 'sheriff', 'U.S.' -> 'u s')."""
    text = unicodedata.normalize("NFKD", name.casefold().replace("\u2019", "'"))
    text = "".join(char for char in text if not unicodedata.combining(char))  # Policía
    text = re.sub(r"'s\b", "", text).replace("'", "")
    return tuple(re.findall(r"[a-z0-9]+|&", text))


# ---------------------------------------------------------------------- helpers
def _phrase(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _positions(words: Sequence[str], phrase: tuple[str, ...]) -> list[int]:
    size = len(phrase)
    return [index for index in range(len(words) - size + 1)
            if tuple(words[index:index + size]) == phrase]


def _found(words: Sequence[str], text: str, exempt: frozenset[int]) -> bool:
    phrase = _phrase(text)
    return any(not exempt.intersection(range(start, start + len(phrase)))
               for start in _positions(words, phrase))


def _covered(words: Sequence[str], phrases: Iterable[str]) -> frozenset[int]:
    covered: set[int] = set()
    for text in phrases:
        phrase = _phrase(text)
        for start in _positions(words, phrase):
            covered.update(range(start, start + len(phrase)))
    return frozenset(covered)


def _names_california(words: Sequence[str]) -> bool:
    for index, word in enumerate(words):
        if word in CALIFORNIA_WORDS and (index == 0 or words[index - 1] != "baja"):
            return True
        if word in COUNTY_WORDS and _county_named_at(words, index):
            return True
    return False


def _county_marks(words: Sequence[str]) -> list[Mark]:
    """Every 'X County' / 'County of X' must be a California county; 'X Co.' after a county's
    name is a county, elsewhere a company."""
    marks = []
    for index, word in enumerate(words):
        if word in COUNTY_WORDS and not _county_named_at(words, index):
            before = " ".join(words[max(0, index - 2):index + 1])
            marks.append(Mark(S, "name", before, f"'{before}' is not one of California's 58 "
                                                 "counties"))
        if word == "co" and not _county_before(words, index) and (
                index == 0 or words[index - 1] != "&"):
            marks.append(Mark(P, "name", "co", "Co. (a company)"))
    return marks


def _county_named_at(words: Sequence[str], index: int) -> bool:
    if _county_before(words, index):
        return True
    after = tuple(words[index + 1:])
    if after[:1] == ("of",):
        return any(after[1:1 + len(county)] == county for county in _COUNTIES)
    return False


def _county_before(words: Sequence[str], index: int) -> bool:
    return any(index >= len(county) and tuple(words[index - len(county):index]) == county
               for county in _COUNTIES)


def _university_marks(words: Sequence[str]) -> list[Mark]:
    if not any(word in UNIVERSITY_WORDS for word in words):
        return []
    if any(_found(words, phrase, frozenset()) for phrase in PUBLIC_UNIVERSITIES):
        return []
    return [Mark(P, "name", "university", "a university or college that is not part of the "
                                          "University of California, the California State "
                                          "University or a community college district")]


def _within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def _unique(marks: list[Mark]) -> list[Mark]:
    seen: dict[tuple[MarkKind, str, str], Mark] = {}
    for mark in marks:
        seen.setdefault((mark.kind, mark.source, mark.matched), mark)
    return list(seen.values())
