"""The public transparency page: the posted policy and the program's live figures."""

from __future__ import annotations

from html import escape

from chalicelib.rendering.monthly_report import CONTENT_SECURITY_POLICY
from chalicelib.services.transparency import TransparencyFigures

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #1b1b1b;
       line-height: 1.5; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; }
.figures { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.figure { border: 1px solid #ccc; border-radius: 6px; padding: 0.6rem 1rem; min-width: 10rem; }
.figure b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { border: 1px solid #d4d4d4; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
.policy { border-left: 4px solid #2f5d8a; padding-left: 1rem; }
.meta { color: #555; }
"""


def render_transparency(figures: TransparencyFigures) -> str:
    window = figures.window_days
    cards = "".join(
        f'<div class="figure"><b>{_text(value)}</b>{_text(label)}</div>' for label, value in (
            ("days of retention", figures.retention_days),
            ("cameras in service", figures.cameras),
            (f"plate reads in the last {window} days", figures.reads),
            (f"hotlist hits in the last {window} days", figures.hotlist_hits),
            (f"searches in the last {window} days", figures.searches),
            (f"of them covering more than {figures.extended_search_days} days of history, on "
             "a warrant, court order or supervisor's approval", figures.extended_searches),
        ))
    audit = (f"The last monthly audit covers {_text(figures.last_monthly_audit)} and was "
             f"completed on {_text((figures.last_monthly_audit_generated or '')[:10])}."
             if figures.last_monthly_audit else "No monthly audit has been completed yet.")
    roles = "".join(
        f"<tr><td>{_text(role.title)}</td><td>{_text(', '.join(role.may) or 'nothing')}</td></tr>"
        for role in figures.authorized_roles)
    prerequisites = "".join(f"<li>{_text(item)}</li>" for item in figures.prerequisites)
    sharing = "".join(f"<li>{_text(rule)}</li>" for rule in figures.sharing_rules)
    searching = "".join(f"<li>{_text(rule)}</li>" for rule in figures.search_rules)
    released = "".join(
        f"<tr><td>{_text(row.agency)}</td><td>{_text(row.releases)}</td>"
        f"<td>{_text(row.reads)}</td></tr>" for row in figures.released_to)
    released_table = (
        "<table><thead><tr><th>agency</th><th>releases</th><th>plate reads released</th></tr>"
        f"</thead><tbody>{released}</tbody></table>" if figures.released_to else
        f"<p>No data was released to another agency in the last {window} days.</p>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Automated license plate readers - {_text(figures.agency)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Automated license plate readers at the {_text(figures.agency)}</h1>"
        f'<p class="meta">Figures computed from the live system at {_text(figures.generated_at)}'
        " (UTC). No plate data and no names are shown here.</p>"
        f'<div class="figures">{cards}</div>'
        f"<p>{audit} The department audits the use of the system every month (policy "
        "428.6(c)).</p>"
        "<h2>Who may use the system</h2>"
        f"<p>Every user needs:</p><ul>{prerequisites}</ul>"
        f"<table><thead><tr><th>job title</th><th>may</th></tr></thead><tbody>{roles}</tbody>"
        "</table>"
        f"<h2>Searches and sign-in</h2><ul>{searching}</ul>"
        f"<h2>Sharing</h2><ul>{sharing}</ul>"
        f"<h3>Agencies that received data in the last {window} days</h3>{released_table}"
        f'<h2>The posted policy</h2><div class="policy">{render_policy_text(figures.policy.text)}'
        f'</div><p class="meta">Document {_text(figures.policy.name)}, SHA-256 '
        f"{_text(figures.policy.sha256)}.</p>"
        "</body></html>\n"
    )


def render_policy_text(text: str) -> str:
    """A small Markdown subset: '#'/'##' headings, '- ' lists (wrapped lines indented),
    paragraphs separated by blank lines; all text escaped, no links or markup passed through."""
    blocks: list[tuple[str, list[str]]] = []  # (kind, lines): heading1/heading2/list/paragraph
    for raw in text.splitlines():
        line = raw.strip()
        kind = _line_kind(raw, line, blocks[-1][0] if blocks else "")
        if kind == "blank":
            blocks.append(("blank", []))
        elif kind == "continue":
            blocks[-1][1][-1] += " " + line
        elif kind == "item" and blocks and blocks[-1][0] == "list":
            blocks[-1][1].append(line[2:].strip())
        elif kind == "item":
            blocks.append(("list", [line[2:].strip()]))
        elif kind == "paragraph" and blocks and blocks[-1][0] == "paragraph":
            blocks[-1][1][-1] += " " + line
        else:
            blocks.append((kind, [line.lstrip("#").strip()]))
    return "".join(_block_html(kind, lines) for kind, lines in blocks)


def _line_kind(raw: str, line: str, previous: str) -> str:
    if not line:
        return "blank"
    if line.startswith("#"):
        return "heading1" if not line.startswith("##") else "heading2"
    if line.startswith("- "):
        return "item"
    if previous == "list" and raw.startswith((" ", "\t")):
        return "continue"
    return "paragraph"


def _block_html(kind: str, lines: list[str]) -> str:
    if kind == "heading1":
        return f"<h2>{_text(lines[0])}</h2>"
    if kind == "heading2":
        return f"<h3>{_text(lines[0])}</h3>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_text(item)}</li>" for item in lines) + "</ul>"
    if kind == "paragraph":
        return f"<p>{_text(lines[0])}</p>"
    return ""


def _text(value: object) -> str:
    return escape(str(value), quote=True)
