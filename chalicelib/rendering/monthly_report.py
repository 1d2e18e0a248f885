"""The monthly audit report as one self-contained HTML page, rendered from the report's JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from chalicelib.rendering.charts import bar_chart

# The page loads nothing and runs nothing; inline styles only.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1b1b1b;
       line-height: 1.4; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.25rem;
     border-bottom: 1px solid #ccc; }
.meta { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #d4d4d4; padding: 0.3rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f1f3f5; }
.clear { color: #1e6b2e; font-weight: bold; } .review { color: #a32020; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure.chart { margin: 0.5rem 0; } figcaption { font-weight: bold; margin-bottom: 0.3rem; }
.empty { color: #555; font-style: italic; }
.facts { margin: 0; padding-left: 1rem; }
code { font-size: 0.85rem; word-break: break-all; }
"""


def render_monthly_report(document: Mapping[str, Any]) -> str:
    """The whole page; every value from the document is escaped."""
    month, agency = _text(document["month"]), _text(document["agency"])
    sections = [
        _header(document),
        _questions(document["questions"]),
        _findings(document["findings"]),
        _access(document["access"]),
        _refusals(document["refusals"]),
        _retention(document["retention"], document["holds"], document["accounts"]),
        _releases(document["releases"]),
        _extended_searches(document.get("extended_searches")),
        _directory(document.get("directory", {})),
        _chain(document["audit_chain"], document.get("posted_policy"),
               document["hotlist"]),
        _anchoring(document.get("anchoring")),
        _thresholds(document["thresholds"]),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>ALPR monthly audit {month} - {agency}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )


def _header(document: Mapping[str, Any]) -> str:
    summary = document["summary"]
    progress = (" <strong>The month is still in progress: figures run to the time of "
                "generation.</strong>" if document.get("month_in_progress") else "")
    cards = "".join(
        f'<div class="card"><b>{_text(value)}</b>{_text(label)}</div>' for label, value in (
            ("findings to follow up", summary["findings"]),
            ("data accesses", summary["data_accesses"]),
            ("searches", summary["searches"]),
            ("refused attempts", summary["refused_attempts"]),
            ("records in the month", summary["records_in_month"])))
    return (
        f"<h1>ALPR monthly audit: {_text(document['month'])}</h1>"
        f'<p class="meta">{_text(document["agency"])} &middot; policy 428.6(c) &middot; '
        f"period {_text(document['period']['start'])} to {_text(document['period']['end'])} "
        f"(UTC) &middot; generated {_text(document['generated_at'])} &middot; account, hold, "
        f"retention and hotlist state as of {_text(document['state_as_of'])} &middot; local "
        f"time zone {_text(document['time_zone'])}.{progress}</p>"
        f'<div class="cards">{cards}</div>'
    )


def _questions(questions: Sequence[Mapping[str, Any]]) -> str:
    rows = [[_text(item["question"]),
             f'<span class="{_text(item["status"])}">{_text(item["status"])}</span>'
             + (f" ({_text(item['findings'])} findings)" if item["findings"] else ""),
             _text(item["basis"])] for item in questions]
    return ("<h2>The State Auditor's questions (report 2019-118)</h2>"
            + _table(("question", "answer", "basis"), rows, escaped=True))


def _findings(findings: Sequence[Mapping[str, Any]]) -> str:
    chart = bar_chart("Findings by kind", _count_by(finding["kind"] for finding in findings))
    if not findings:
        return f"<h2>Findings</h2><p>No findings this month.</p>{chart}"
    rows = [[_text(finding["kind"]), _text(finding["clause"]), _text(finding["subject"]),
             _text(finding["detail"]), _facts(finding["facts"])] for finding in findings]
    return ("<h2>Findings to follow up</h2>"
            + _table(("kind", "clause", "names", "what", "facts"), rows, escaped=True) + chart)


def _access(access: Mapping[str, Any]) -> str:
    users = access["by_user"]
    charts = "".join((
        bar_chart("Data accesses by user", [(row["username"], row["data_accesses"])
                                            for row in users]),
        bar_chart("Data accesses by role", list(access["by_role"].items())),
        bar_chart("Data accesses by purpose", list(access["by_purpose"].items())),
    ))
    user_rows = [[row["username"], row["role"], row["agency"], row["data_accesses"],
                  row["refused_attempts"]] for row in users]
    action_rows = [[action, counts.get("allowed", 0), counts.get("refused", 0)]
                   for action, counts in access["by_action"].items()]
    return (
        "<h2>Accesses by user, role and purpose</h2>"
        f"<p>{_text(access['data_accesses'])} allowed data accesses, of which "
        f"{_text(access['searches'])} searches.</p>"
        f'<div class="charts">{charts}</div>'
        + _table(("user", "role", "agency", "data accesses", "refused attempts"), user_rows)
        + "<h3>Every recorded action</h3>"
        + _table(("action", "allowed", "refused"), action_rows)
    )


def _refusals(refusals: Mapping[str, Any]) -> str:
    rows = [[row["username"], row["code"], row["count"]] for row in refusals["by_user"]]
    return (
        f"<h2>Refused attempts ({_text(refusals['total'])})</h2>"
        + bar_chart("Refusals by reason", list(refusals["by_code"].items()))
        + _table(("user", "reason", "attempts"), rows)
    )


def _retention(retention: Mapping[str, Any], holds: Mapping[str, Any],
               accounts: Mapping[str, Any]) -> str:
    runs = retention["purge_runs"]
    rows = [
        ["retention period (days)", retention["retention_days"]],
        ["purge runs recorded", ", ".join(f"{name}: {count}" for name, count in runs.items())],
        ["reads purged", retention["reads_purged"]],
        ["images deleted", retention["images_deleted"]],
        ["objects kept under legal hold", retention["kept_under_legal_hold"]],
        ["reads older than retention still stored",
         retention["reads_checked_past_retention"]],
        ["holds in force, checked for their review date", holds["holds_in_force"]],
        ["enabled accounts checked", accounts["enabled_accounts_checked"]],
    ]
    return "<h2>Retention, holds and accounts</h2>" + _table(("what", "count"), rows)


def _releases(releases: Mapping[str, Any]) -> str:
    approved = [[row["request_id"], row["agency"], row["decided_at"], row.get("filed_by", ""),
                 row.get("approved_by", ""), row.get("reads_released", ""),
                 _history(row.get("directory")),
                 ", ".join(row.get("warnings_acknowledged", [])) or "none"]
                for row in releases["approved"]]
    pairs = [[row["filed_by"], row["approved_by"], row["releases"]]
             for row in releases.get("filer_approver_pairs", [])]
    return (
        "<h2>Release requests (policy 428.7)</h2>"
        f"<p>{_text(releases['pending_at_end'])} pending at the end of the period.</p>"
        + bar_chart("Requests decided, by outcome", list(releases["decided"].items()))
        + "<h3>Approved releases, with the agency's directory history</h3>"
        + (_table(("request", "agency", "decided", "filed by", "approved by", "reads",
                   "directory entry", "warnings acknowledged"), approved) if approved
           else '<p class="empty">None.</p>')
        + "<h3>Who filed and who approved</h3>"
        + _table(("filed by", "approved by", "releases"), pairs)
    )


def _extended_searches(extended: Mapping[str, Any] | None) -> str:
    """Searches over the extended-search limit, per user, and each one's authority."""
    if extended is None:  # a report built before the rule existed
        return ""
    users = [[row["username"], row["searches"], row.get("warrant", 0),
              row.get("court_order", 0), row.get("supervisor_approval", 0), row.get("none", 0)]
             for row in extended["by_user"]]
    searches = [[row["at"], row["username"], row["plate"], f"{row['start']} to {row['end']}",
                 row["case_number"], row["authority"] or "NONE", row["authority_ref"],
                 f"{row['results']} in {row['pages']} page(s)"]
                for row in extended["searches"]]
    return (
        f"<h2>Searches over {_text(extended['limit_days'])} days (policy 428.6(b))</h2>"
        f"<p>{_text(extended['total'])} searches covered more than "
        f"{_text(extended['limit_days'])} days of one vehicle's history; each needs a warrant, "
        "a court order or a supervisor's approval.</p>"
        + _table(("user", "searches", "warrant", "court order", "supervisor approval",
                  "no authority"), users)
        + "<h3>Each search</h3>"
        + _table(("at", "user", "plate", "window", "case", "authority", "reference",
                  "results"), searches)
    )
def _history(directory: Mapping[str, Any] | None) -> str:
    if not directory:
        return "no directory entry"
    return (f"ORI {directory['ori']}; proposed by {directory['proposed_by']} "
            f"{directory['proposed_at']}; confirmed by {directory['confirmed_by']} "
            f"{directory['confirmed_at']} "
            f"({directory['days_confirmed_before_release']} days before the release)")


def _directory(directory: Mapping[str, Any]) -> str:
    if not directory:
        return ""
    counts = ", ".join(f"{status}: {count}"
                       for status, count in directory["entries_by_status"].items())
    rows = [[row["at"], row["what"], row["agency"], row["by"]]
            for row in directory["changes_in_month"]]
    return ("<h2>The agency directory</h2>"
            f"<p>Entries by status: {_text(counts)}. Each entry is proposed by one administrator "
            "and confirmed by a second; active entries are checked against both records.</p>"
            "<h3>Changes in the month</h3>"
            + _table(("when", "what", "agency", "by"), rows))


def _chain(chain: Mapping[str, Any], policy: Mapping[str, Any] | None,
           hotlist: Mapping[str, Any]) -> str:
    state = ('<span class="clear">intact</span>' if chain["intact"] else
             f'<span class="review">BROKEN</span>: {_text(chain["problem"])}')
    policy_text = (f"{_text(policy['name'])}, SHA-256 <code>{_text(policy['sha256'])}</code>"
                   if policy else '<span class="review">cannot be read</span>')
    return (
        "<h2>Record of access, hotlist and posted policy</h2>"
        f"<p>Hash chain {state}: {_text(chain['records_checked'])} records verified; head record "
        f"{_text(chain['head_seq'])}, hash <code>{_text(chain['head_hash'])}</code>.</p>"
        f"<p>Hotlist entries checked: {_text(hotlist['entries_checked'])}.</p>"
        f"<p>Posted policy: {policy_text}.</p>"
    )


def _anchoring(anchoring: Mapping[str, Any] | None) -> str:
    """The signed checkpoint the report was built against, and what disagrees with it."""
    if anchoring is None:
        return ""
    checkpoint = anchoring.get("checkpoint")
    if checkpoint is None:
        anchor = ('<p><span class="review">No signed checkpoint exists yet</span>: nothing '
                  "anchors the access record outside the database.</p>")
    else:
        anchor = (
            f"<p>Built against signed checkpoint #{_text(checkpoint['number'])}: record "
            f"{_text(checkpoint['seq'])}, hash <code>{_text(checkpoint['hash'])}</code>, signed "
            f"{_text(checkpoint['signed_at'])} by the checkpoint key (public key SHA-256 "
            f"<code>{_text(anchoring['public_key_sha256'])}</code>). Every record of the month "
            + ("is anchored by it." if anchoring["month_anchored"] else
               '<span class="review">is not yet anchored by it</span>.') + "</p>")
    tail = anchoring.get("unanchored")
    pending = (f"<p>Records {_text(tail['first_seq'])}-{_text(tail['last_seq'])} "
               f"({_text(tail['count'])}) were written after the newest checkpoint and are not "
               "yet anchored.</p>" if tail else "")
    problems = [[row["kind"], row["detail"]] for row in anchoring["problems"]]
    return (
        "<h2>Signed checkpoints of the access record</h2>" + anchor + pending
        + f"<p>Earlier versions of this month's report compared: "
          f"{_text(anchoring['earlier_versions_compared'])}.</p>"
        + ("<h3>Disagreements with the checkpoints</h3>"
           + _table(("kind", "detail"), problems) if problems else "")
    )


def _thresholds(thresholds: Mapping[str, Any]) -> str:
    rows = [[name.replace("_", " "), value] for name, value in thresholds.items()]
    return "<h2>Thresholds of the anomaly rules</h2>" + _table(("rule", "value"), rows)


# ---------------------------------------------------------------------- helpers
def _table(headings: Sequence[str], rows: Sequence[Sequence[Any]], escaped: bool = False) -> str:
    head = "".join(f"<th>{_text(heading)}</th>" for heading in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if escaped else _text(cell)}</td>" for cell in row) + "</tr>"
        for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headings)}" class="empty">None.</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _facts(facts: Mapping[str, Any]) -> str:
    items = "".join(f"<li>{_text(name)}: {_text(value)}</li>" for name, value in facts.items())
    return f'<ul class="facts">{items}</ul>'


def _count_by(values: Iterable[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return list(counts.items())


def _text(value: Any) -> str:
    return escape(str(value), quote=True)
