from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.hotlist import Category, HowMatched, Source, is_alerting, match_read
from chalicelib.domain.hotlist_import import (
    FORMAT_CLEW,
    FORMAT_CSV,
    FORMAT_NCIC,
    PROGRESS_EVERY,
    HotlistFileError,
    clew_table_for,
    detect_format,
    import_file,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data" / "hotlists"


def ncic_line(record_type: str, plate: str, date: str = "20261120", state: str = "CA") -> str:
    return f"{record_type}{'X000000001':<18}{date}{plate:<10}{state}2019HONDCIVBLK"


# ---------------------------------------------------------------- NCIC

def test_ncic_file_imports_with_immigration_records_filtered() -> None:
    result = import_file(DATA / "ncic_sample.txt", "ncic-daily", NOW)
    report = result.report
    assert report.file_format == FORMAT_NCIC
    assert report.total_lines == 9
    assert report.filtered_immigration == 1
    assert "6XQW004" not in {entry.plate for entry in result.entries}
    assert {entry.plate for entry in result.entries} == {"7ZZT001", "4QQX002", "8ZYX003",
                                                         "9ZQW005"}
    assert report.accepted == 4
    assert report.skipped_by_reason == {"bad date": 1, "duplicate record": 1,
                                        "invalid plate": 1, "unknown record type": 1}
    assert report.skipped == 4
    assert report.skipped_lines == ((6, "bad date"), (7, "unknown record type"),
                                    (8, "invalid plate"), (9, "duplicate record"))


def test_ncic_columns_and_category_mapping() -> None:
    entries = {entry.plate: entry for entry in
               import_file(DATA / "ncic_sample.txt", "ncic-daily", NOW).entries}
    stolen = entries["7ZZT001"]
    assert stolen.category == Category.STOLEN_VEHICLE and stolen.source == Source.NCIC
    assert stolen.state == "CA" and stolen.listed_on == "2026-11-20"
    assert stolen.case_number == "V000000001"
    assert (stolen.vehicle_year, stolen.vehicle_make, stolen.vehicle_model,
            stolen.vehicle_color) == ("2019", "HOND", "CIV", "BLK")
    assert stolen.loaded_at == NOW.isoformat()
    assert entries["4QQX002"].category == Category.STOLEN_PLATE
    assert entries["4QQX002"].vehicle_make == ""
    assert entries["8ZYX003"].category == Category.WANTED
    assert entries["8ZYX003"].vehicle_color == "WHI/BLU"
    assert entries["9ZQW005"].category == Category.MISSING_PERSON
    assert entries["9ZQW005"].priority < stolen.priority


def test_imported_ncic_entry_alerts_until_the_list_goes_stale() -> None:
    entries = import_file([ncic_line("V", "8ABC123")], "ncic-daily", NOW).entries
    assert [hit.how for hit in match_read("BABC123", [], entries, NOW)] == [HowMatched.CONFUSION]
    assert not is_alerting(entries[0], NOW + timedelta(days=2, seconds=1))


def test_reloading_a_list_gives_the_same_entry_ids() -> None:
    first = import_file(DATA / "ncic_sample.txt", "ncic-daily", NOW).entries
    again = import_file(DATA / "ncic_sample.txt", "ncic-daily", NOW + timedelta(days=1)).entries
    assert [entry.entry_id for entry in first] == [entry.entry_id for entry in again]


def test_progress_is_reported_in_steps_adding_up_to_all_lines() -> None:
    lines = [ncic_line("V", f"7A{index:05d}") for index in range(2 * PROGRESS_EVERY + 5)]
    steps: list[int] = []
    result = import_file(lines, "ncic-daily", NOW, steps.append)
    assert steps == [PROGRESS_EVERY, PROGRESS_EVERY, 5]
    assert result.report.accepted == len(lines)


def test_short_line_is_skipped_not_fatal() -> None:
    result = import_file([ncic_line("V", "7ABC123"), "V123", ncic_line("L", "7ABC124")],
                         "ncic-daily", NOW, file_format=FORMAT_NCIC)
    assert result.report.accepted == 2
    assert result.report.skipped_lines == ((2, "line too short"),)


# ---------------------------------------------------------------- CLEW

def test_clew_file_imports_and_checks_its_footer() -> None:
    result = import_file(DATA / "clew_svs_sample.txt", "clew-daily", NOW)
    report = result.report
    assert report.file_format == FORMAT_CLEW
    assert report.accepted == 3
    assert report.skipped_by_reason == {"bad county code": 1}
    entries = {entry.plate: entry for entry in result.entries}
    first = entries["7QZK101"]
    assert first.category == Category.STOLEN_VEHICLE and first.source == Source.CLEW
    assert first.listed_on == "2026-11-02" and first.case_number == "SJ26-000101"
    assert first.reason == "CLEW stolen vehicle, county 43"
    assert (first.vehicle_year, first.vehicle_make, first.vehicle_color) == ("2018", "NISS",
                                                                              "SIL")
    assert entries["QZK104"].state == "OR" and entries["QZK104"].listed_on == ""


def test_clew_footer_mismatch_refuses_the_file() -> None:
    with pytest.raises(HotlistFileError, match="footer says 7 records but the file holds 4"):
        import_file(DATA / "clew_svs_bad_footer.txt", "clew-daily", NOW)


def test_clew_without_footer_is_refused_as_truncated() -> None:
    with pytest.raises(HotlistFileError, match="truncated"):
        import_file(DATA / "clew_slr_no_footer.txt", "clew-daily", NOW)


def test_clew_table_comes_from_the_list_name_when_lines_are_given() -> None:
    lines = (DATA / "clew_svs_sample.txt").read_text().splitlines()
    result = import_file(lines, "clew-slr", NOW)
    assert {entry.category for entry in result.entries} == {Category.STOLEN_PLATE}
    with pytest.raises(HotlistFileError, match="CLEW table unknown"):
        import_file(lines, "clew-daily", NOW)
    felony = import_file(lines, "clew-daily", NOW, clew_table="sfr")
    assert {entry.category for entry in felony.entries} == {Category.FELONY_VEHICLE}


def test_clew_table_names() -> None:
    assert clew_table_for("/in/CLEW_SVS_20261129.txt") == "svs"
    assert clew_table_for("clew-slr") == "slr"
    assert clew_table_for("svs-and-sfr") is None
    assert clew_table_for("hotlist.txt") is None


def test_clew_empty_file_with_zero_footer_is_fine() -> None:
    result = import_file(["TOTAL RECORD 0"], "clew-svs", NOW)
    assert result.entries == () and result.report.file_format == FORMAT_CLEW


# ---------------------------------------------------------------- comma-separated

def test_csv_by_header_names_with_rules_per_row() -> None:
    result = import_file(DATA / "custom_sample.csv", "robbery-bolo", NOW,
                         added_by="analyst.c", approved_by="lt.d")
    report = result.report
    assert report.file_format == FORMAT_CSV
    assert report.total_lines == 8
    assert report.accepted == 2
    assert report.filtered_immigration == 1
    assert report.skipped == 4
    assert [number for number, _ in report.skipped_lines] == [5, 6, 7, 8]
    entries = {entry.plate: entry for entry in result.entries}
    stolen = entries["7QZA201"]
    assert stolen.source == Source.CSV and stolen.case_number == "SC26-0101"
    assert stolen.added_by == "analyst.c" and stolen.approved_by == "lt.d"
    assert stolen.expires_at == int(datetime(2026, 12, 16, tzinfo=UTC).timestamp())
    pattern = entries["7QB?21*"]
    assert pattern.is_pattern and pattern.category == Category.FELONY_VEHICLE
    assert pattern.expires_at == int((NOW + timedelta(days=30)).timestamp())


def test_csv_column_order_and_aliases_do_not_matter() -> None:
    lines = ["notes,expiry,Plate Number,case,TYPE,state",
             "stolen from driveway,12/31/2026,7qza-301,C-301,stolen,ca"]
    result = import_file(lines, "bolo", NOW, added_by="a", approved_by="b")
    (entry,) = result.entries
    assert (entry.plate, entry.state, entry.category, entry.case_number) == (
        "7QZA301", "CA", Category.STOLEN_VEHICLE, "C-301")
    assert entry.reason == "stolen from driveway"


def test_csv_needs_importer_and_a_different_approver() -> None:
    with pytest.raises(HotlistFileError, match="approved_by"):
        import_file(DATA / "custom_sample.csv", "bolo", NOW, added_by="a")
    result = import_file(DATA / "custom_sample.csv", "bolo", NOW, added_by="a", approved_by="A")
    assert result.report.accepted == 0
    assert "the approver must be someone other than who added the entry" in (
        result.report.skipped_by_reason)


def test_csv_without_plate_column_is_not_a_hotlist() -> None:
    with pytest.raises(HotlistFileError):
        import_file(["name,case_number", "x,1"], "bolo", NOW, added_by="a", approved_by="b")


def test_reasons_never_quote_the_line() -> None:
    result = import_file(DATA / "ncic_sample.txt", "ncic-daily", NOW)
    for _, reason in result.report.skipped_lines:
        assert "7Z!T008" not in reason and "Q000000007" not in reason


# ---------------------------------------------------------------- detection

def test_detect_format() -> None:
    assert detect_format((DATA / "ncic_sample.txt").read_text().splitlines()) == FORMAT_NCIC
    assert detect_format((DATA / "clew_svs_sample.txt").read_text().splitlines()) == FORMAT_CLEW
    assert detect_format(["\ufeffPlate,State", "7ABC123,CA"]) == FORMAT_CSV


@pytest.mark.parametrize("lines", [
    [], ["", "  "], ["hello world", "this is not a hotlist"], ["a,b,c", "1,2,3"],
])
def test_not_a_hotlist_file_is_refused(lines: list[str]) -> None:
    with pytest.raises(HotlistFileError):
        detect_format(lines)


def test_bad_list_name_and_naive_time_are_refused() -> None:
    with pytest.raises(HotlistFileError, match="list name"):
        import_file([ncic_line("V", "7ABC123")], "../etc", NOW)
    with pytest.raises(HotlistFileError, match="time zone"):
        import_file([ncic_line("V", "7ABC123")], "ncic", NOW.replace(tzinfo=None))
