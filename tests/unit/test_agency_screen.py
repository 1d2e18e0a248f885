"""The agency screen (Civil Code 1798.90.55(b), 1798.90.5(f), AG bulletin 2023-DLE-06): a table
of names, both ways, most of them look-alikes. Each row: the name, its ORI and mail domains
(empty when the name alone decides), the kinds of mark expected (empty: may receive data), and
whether the row is a tricky look-alike. ORIs here are made-up test values of the right shape
("CA9TEST01"), not any agency's real identifier."""

from __future__ import annotations

import pytest

from chalicelib.adapters.agency_seed_file import load_seed
from chalicelib.domain.agencies import Jurisdiction
from chalicelib.policy.agency_screen import (
    MarkKind,
    screen_agency,
    screen_domain,
    screen_name,
    screen_ori,
)

F, S, X, T, P = (MarkKind.FEDERAL, MarkKind.OTHER_STATE, MarkKind.FOREIGN, MarkKind.TRIBAL,
                 MarkKind.PRIVATE)
OK: frozenset[MarkKind] = frozenset()
CA_ORI = "CA9TEST01"
TRICKY, PLAIN = True, False

# (name, ori, domains, expected kinds, tricky)
TABLE: list[tuple[str, str, tuple[str, ...], frozenset[MarkKind], bool]] = [
    # --- California bodies that may receive data ---
    ("San Jose Police Department", CA_ORI, ("sanjoseca.gov",), OK, PLAIN),
    ("Los Angeles County Sheriff's Department", CA_ORI, (), OK, PLAIN),
    ("California Highway Patrol", CA_ORI, ("chp.ca.gov",), OK, TRICKY),
    ("California Department of Justice", CA_ORI, ("doj.ca.gov",), OK, TRICKY),
    ("CA DOJ Bureau of Investigation", CA_ORI, (), OK, TRICKY),
    ("Nevada County Sheriff's Office", CA_ORI, (), OK, TRICKY),
    ("Nevada City Police Department", CA_ORI, (), OK, TRICKY),
    ("Nevada County District Attorney's Office", CA_ORI, (), OK, TRICKY),
    ("La Mesa Police Department", CA_ORI, (), OK, TRICKY),
    ("Costa Mesa Police Department", CA_ORI, (), OK, TRICKY),
    ("El Paso de Robles Police Department", CA_ORI, (), OK, TRICKY),
    ("Santa Fe Springs Department of Public Safety", CA_ORI, (), OK, TRICKY),
    ("Kern Co. Sheriff's Office", CA_ORI, (), OK, TRICKY),
    ("City and County of San Francisco Sheriff's Office", CA_ORI, (), OK, TRICKY),
    ("County of Riverside District Attorney", CA_ORI, (), OK, TRICKY),
    ("Del Norte County Sheriff's Office", CA_ORI, (), OK, PLAIN),
    ("Contra Costa County District Attorney's Office", CA_ORI, (), OK, PLAIN),
    ("San Luis Obispo County Sheriff's Office", CA_ORI, (), OK, PLAIN),
    ("Orange County Sheriff's Department", CA_ORI, (), OK, TRICKY),
    ("Kings County District Attorney's Office", CA_ORI, (), OK, TRICKY),
    ("Lake County Sheriff's Office", CA_ORI, (), OK, TRICKY),
    ("Ontario Police Department", CA_ORI, (), OK, TRICKY),
    ("National City Police Department", CA_ORI, (), OK, TRICKY),
    ("Union City Police Department", CA_ORI, (), OK, TRICKY),
    ("Indian Wells Police Department", CA_ORI, (), OK, TRICKY),
    ("Maricopa Police Department", CA_ORI, (), OK, TRICKY),
    ("Glendale Police Department", CA_ORI, (), OK, TRICKY),
    ("Pasadena Police Department", CA_ORI, (), OK, TRICKY),
    ("Richmond Police Department", CA_ORI, (), OK, TRICKY),
    ("South Lake Tahoe Police Department", CA_ORI, (), OK, TRICKY),
    ("University of California Police Department, Berkeley", CA_ORI, (), OK, TRICKY),
    ("San Diego State University Police Department", CA_ORI, (), OK, TRICKY),
    ("Los Angeles Community College District Police", CA_ORI, (), OK, TRICKY),
    ("BART Police Department", CA_ORI, (), OK, TRICKY),
    ("California Department of Fish and Wildlife", CA_ORI, (), OK, TRICKY),
    ("California Department of Insurance, Fraud Division", CA_ORI, (), OK, TRICKY),
    ("California Department of Motor Vehicles Investigations Division", CA_ORI, (), OK, TRICKY),
    ("California Department of Alcoholic Beverage Control", CA_ORI, (), OK, TRICKY),
    ("California Office of Homeland Security", CA_ORI, (), OK, TRICKY),
    ("California National Guard Counterdrug Task Force", CA_ORI, (), OK, TRICKY),
    ("Shasta County Marshal's Office", CA_ORI, (), OK, TRICKY),
    ("Sunnyvale Department of Public Safety", CA_ORI, (), OK, TRICKY),
    ("Cal Fire Law Enforcement Division", CA_ORI, (), OK, TRICKY),
    ("Fresno County Sheriff's Office", CA_ORI, ("co.fresno.ca.us",), OK, TRICKY),
    ("Sacramento Police Department", CA_ORI, ("pd.cityofsacramento.org",), OK, PLAIN),
    ("San Diego County District Attorney", CA_ORI, (), OK, PLAIN),
    ("Oakland Police Department", CA_ORI, ("oaklandca.gov",), OK, PLAIN),
    ("Los Angeles County Office of Inspector General", CA_ORI, (), OK, TRICKY),
    ("San Jose Department of Transportation", CA_ORI, (), OK, TRICKY),
    # --- federal ---
    ("U.S. Immigration and Customs Enforcement (DHS)", "", (), frozenset({F}), PLAIN),
    ("Immigration and Customs Enforcement", CA_ORI, ("ice.dhs.gov",), frozenset({F}), PLAIN),
    ("ICE Enforcement and Removal Operations, San Francisco", CA_ORI, (), frozenset({F}),
     TRICKY),
    ("Homeland Security Investigations", CA_ORI, (), frozenset({F}), TRICKY),
    ("CBP Office of Field Operations", CA_ORI, (), frozenset({F}), PLAIN),
    ("United States Border Patrol, San Diego Sector", CA_ORI, (), frozenset({F}), PLAIN),
    ("Federal Bureau of Investigation, Los Angeles Field Office", CA_ORI, (), frozenset({F}),
     PLAIN),
    ("FBI Sacramento", CA_ORI, (), frozenset({F}), PLAIN),
    ("Drug Enforcement Administration", CA_ORI, (), frozenset({F}), PLAIN),
    ("ATF San Francisco Field Division", CA_ORI, (), frozenset({F}), PLAIN),
    ("U.S. Marshals Service, Central District of California", CA_ORI, (), frozenset({F}),
     TRICKY),
    ("US Department of Justice", CA_ORI, (), frozenset({F}), TRICKY),
    ("Department of Justice", CA_ORI, (), frozenset({F}), TRICKY),
    ("Office of the Attorney General", CA_ORI, (), frozenset({F}), TRICKY),
    ("Office of Inspector General", CA_ORI, (), frozenset({F}), TRICKY),
    ("U.S. Department of Transportation", CA_ORI, (), frozenset({F}), TRICKY),
    ("U.S. Fish and Wildlife Service Office of Law Enforcement", CA_ORI, (), frozenset({F}),
     TRICKY),
    ("Naval Criminal Investigative Service", CA_ORI, (), frozenset({F}), PLAIN),
    ("Amtrak Police Department", CA_ORI, (), frozenset({F}), TRICKY),
    ("Los Angeles HIDTA", CA_ORI, (), frozenset({F}), TRICKY),
    ("Transportation Security Administration", CA_ORI, (), frozenset({F}), PLAIN),
    ("Federal Protective Service", CA_ORI, (), frozenset({F}), PLAIN),
    ("San Jose Police Department", "DCFBIWA00", (), frozenset({F}), TRICKY),
    ("San Jose Police Department", CA_ORI, ("sjpd.fbi.gov",), frozenset({F}), TRICKY),
    ("Regional Task Force", CA_ORI, ("taskforce.army.mil",), frozenset({F}), TRICKY),
    # --- other states ---
    ("Nevada Highway Patrol", "NV9TEST01", (), frozenset({S}), TRICKY),
    ("Nevada Highway Patrol", CA_ORI, (), frozenset({S}), TRICKY),
    ("Carson City Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Washoe County Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Las Vegas Metropolitan Police Department", CA_ORI, (), frozenset({S}), PLAIN),
    ("Maricopa County Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Mesa Police Department", CA_ORI, (), frozenset({S}), TRICKY),
    ("Oregon State Police", CA_ORI, (), frozenset({S}), PLAIN),
    ("Texas Department of Public Safety", CA_ORI, (), frozenset({S}), PLAIN),
    ("Washington County Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Clark County Sheriff", CA_ORI, (), frozenset({S}), TRICKY),
    ("Douglas County Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Highway Patrol", CA_ORI, (), frozenset({S}), TRICKY),
    ("Federal Way Police Department", CA_ORI, (), frozenset({F, S}), TRICKY),
    ("Orange County Sheriff's Office", "FL9TEST01", (), frozenset({S}), TRICKY),
    ("Kings County District Attorney's Office", "NY9TEST01", (), frozenset({S}), TRICKY),
    ("Glendale Police Department", CA_ORI, ("glendale.az.gov",), frozenset({S}), TRICKY),
    ("Sheriff's Office", CA_ORI, ("sheriff.nv.gov",), frozenset({S}), TRICKY),
    ("Police Department", CA_ORI, ("police.la.gov",), frozenset({S}), TRICKY),
    ("Jefferson Parish Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("El Paso County Sheriff's Office", CA_ORI, (), frozenset({S}), TRICKY),
    ("Portland Police Bureau", CA_ORI, (), frozenset({S}), PLAIN),
    # --- foreign, tribal ---
    ("Baja California State Police", CA_ORI, (), frozenset({X, S}), TRICKY),
    ("Policía Municipal de Tijuana", CA_ORI, (), frozenset({X}), TRICKY),
    ("Ontario Provincial Police", CA_ORI, (), frozenset({X}), TRICKY),
    ("Royal Canadian Mounted Police", CA_ORI, (), frozenset({X}), PLAIN),
    ("Vancouver Police Department", CA_ORI, ("vpd.ca",), frozenset({X}), TRICKY),
    ("Interpol Washington", CA_ORI, (), frozenset({X, S}), PLAIN),
    ("Agua Caliente Band of Cahuilla Indians Tribal Police", CA_ORI, (), frozenset({T}),
     TRICKY),
    ("Colorado River Indian Tribes Police Department", CA_ORI, (), frozenset({S, T}), TRICKY),
    # --- private ---
    ("Vigilant Repo Recovery LLC", CA_ORI, (), frozenset({P}), PLAIN),
    ("Golden State Recovery, Inc.", CA_ORI, (), frozenset({P}), TRICKY),
    ("Acme Investigations & Co.", CA_ORI, (), frozenset({P}), TRICKY),
    ("Pacific Repossession Corp.", CA_ORI, (), frozenset({P}), PLAIN),
    ("State Farm Insurance Special Investigations Unit", CA_ORI, (), frozenset({P}), TRICKY),
    ("National Insurance Crime Bureau", CA_ORI, (), frozenset({P}), TRICKY),
    ("California State Sheriffs' Association", CA_ORI, (), frozenset({P}), TRICKY),
    ("University of Southern California Department of Public Safety", CA_ORI, (),
     frozenset({P}), TRICKY),
    ("Stanford University Department of Public Safety", CA_ORI, (), frozenset({P}), TRICKY),
    ("Santa Clara University Campus Safety Services", CA_ORI, (), frozenset({P}), TRICKY),
    ("California Institute of Technology Security", CA_ORI, (), frozenset({P}), TRICKY),
    ("Union Pacific Railroad Police", CA_ORI, (), frozenset({P}), TRICKY),
    ("Downtown Parking Enforcement Services", CA_ORI, (), frozenset({P}), TRICKY),
    ("Flock Safety", CA_ORI, (), frozenset({P}), TRICKY),
    ("Motorola Solutions", CA_ORI, (), frozenset({P}), PLAIN),
    ("Digital Recognition Network", CA_ORI, (), frozenset({P}), PLAIN),
    ("Smith Co.", CA_ORI, (), frozenset({P}), TRICKY),
    ("Coastal Towing", CA_ORI, (), frozenset({P}), PLAIN),
    ("Sheriff's Office", CA_ORI, ("gmail.com",), frozenset({P}), TRICKY),
    ("Police Department", CA_ORI, ("alerts.vigilantsolutions.com",), frozenset({P}), TRICKY),
]


def test_the_table_is_large_and_mostly_tricky_both_ways() -> None:
    assert len(TABLE) >= 80
    tricky = [row for row in TABLE if row[4]]
    assert len(tricky) * 2 >= len(TABLE)
    assert sum(1 for row in tricky if not row[3]) >= 20      # look-alikes that may receive
    assert sum(1 for row in tricky if row[3]) >= 20          # look-alikes that may not


@pytest.mark.parametrize(("name", "ori", "domains", "expected", "tricky"), TABLE,
                         ids=[f"{row[0]}|{row[1]}|{','.join(row[2])}" for row in TABLE])
def test_screen(name: str, ori: str, domains: tuple[str, ...], expected: frozenset[MarkKind],
                tricky: bool) -> None:
    screening = screen_agency(name, ori, domains)
    assert {mark.kind for mark in screening.marks} == expected, screening.explanation()
    assert screening.refused is bool(expected)
    for mark in screening.marks:  # every refusal names the clause it answers to
        assert "Civil Code 1798.90.5" in mark.clause


def test_refusal_names_the_word_the_source_and_the_clause() -> None:
    screening = screen_agency("U.S. Immigration and Customs Enforcement (DHS)")
    assert screening.jurisdiction is Jurisdiction.FEDERAL
    text = screening.explanation()
    assert "name marks a federal body (immigration)" in text
    assert "1798.90.55(b)" in text and "2023-DLE-06" in text
    private = screen_agency("Vigilant Repo Recovery LLC")
    assert private.jurisdiction is Jurisdiction.PRIVATE


def test_words_match_whole_words_only() -> None:
    assert screen_name("Office of Police Services") == []  # "ice" inside "police", "office"
    assert screen_name("Justice Department of Campus Police, California") == []  # "us"
    assert {mark.matched for mark in screen_name("Ice Patrol Department")} == {"ice"}


@pytest.mark.parametrize(("ori", "kind"), [
    ("CA0194200", None), ("ca 019-4200", None), ("NV0160000", S), ("DCFBIWA00", F),
    ("CAICE0001", F), ("XX1234567", X), ("", None),
])
def test_ori_prefix_is_the_state_and_federal_letters_mark_federal(ori: str,
                                                                  kind: MarkKind | None) -> None:
    marks = screen_ori(ori)
    assert [mark.kind for mark in marks] == ([kind] if kind else [])


@pytest.mark.parametrize(("domain", "kind"), [
    ("chp.ca.gov", None), ("co.fresno.ca.us", None), ("sanjoseca.gov", None),
    ("lasd.org", None), ("ice.dhs.gov", F), ("usdoj.gov", F), ("navy.mil", F),
    ("fs.fed.us", F), ("va.gov", F), ("nv.gov", S), ("dps.texas.gov", S),
    ("ci.reno.nv.us", S), ("police.gob.mx", X), ("rcmp.ca", X), ("gmail.com", P),
    ("flocksafety.com", P),
])
def test_domains(domain: str, kind: MarkKind | None) -> None:
    assert [mark.kind for mark in screen_domain(domain)] == ([kind] if kind else [])


def test_every_seed_agency_passes_the_screen() -> None:
    """The shipped seed file lists only bodies the rule allows (their ORIs are filled in when
    they are proposed, and screened again then)."""
    rows = load_seed()
    assert len(rows) >= 58 * 2 + 2
    refused = [(row.name, screen_agency(row.name, row.ori, row.domains).explanation())
               for row in rows if screen_agency(row.name, row.ori, row.domains).refused]
    assert refused == []
