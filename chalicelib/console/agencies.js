// Platekeeper console: the agency directory (loaded before app.js, whose helpers h, api, table,
// details, field, say, guarded, confirmDialog, plain, when and can it uses when called). Values
// from the API go into the page as text only.
"use strict";

// ---------------------------------------------------------------- shared with the release pages

async function activeAgencies() {
  const found = await api("GET", "agencies?status=active");
  return found.agencies;
}

function agencyFacts(entry) {
  return details([
    ["Directory entry", entry.name], ["ORI", entry.ori], ["Type", plain(entry.agency_type)],
    ["Jurisdiction", plain(entry.jurisdiction)],
    ["Where", entry.level === "state" ? "statewide" : [entry.city, `${entry.county} County`].filter(Boolean).join(", ")],
    ["Mail domains", entry.domains.join(", ") || "none on file"],
    ["Proposed", `${when(entry.proposed_at)} by ${entry.proposed_by}`],
    ["Confirmed", entry.confirmed_at ? `${when(entry.confirmed_at)} by ${entry.confirmed_by}` : "not yet"],
  ]);
}

// A type-ahead over the active directory (a native datalist), or, ticked, an agency not in it.
function agencyPicker(entries) {
  const byName = new Map(entries.map((entry) => [entry.name.toLowerCase(), entry]));
  const input = h("input", { name: "agency_search", id: "agency-search", list: "agency-options",
    autocomplete: "off", placeholder: "Type to search the directory" });
  const options = h("datalist", { id: "agency-options" },
    entries.map((entry) => h("option", { value: entry.name }, `${entry.ori} ${entry.county || "statewide"}`)));
  const facts = h("div", { id: "agency-facts", "aria-live": "polite" });
  const unlisted = h("input", { type: "checkbox", name: "unlisted", id: "unlisted" });
  const unlistedName = h("input", { name: "agency_name", id: "agency-name", disabled: true });
  const show = () => {
    const entry = byName.get(input.value.trim().toLowerCase());
    facts.replaceChildren(entry ? agencyFacts(entry) : (input.value.trim() && !unlisted.checked
      ? h("p", { class: "hint" }, "No directory entry has this name. Tick \"not in the directory\" to record the request anyway; it cannot be approved until a second administrator confirms the agency's entry.")
      : ""));
  };
  input.addEventListener("input", show);
  unlisted.addEventListener("change", () => {
    unlistedName.disabled = !unlisted.checked;
    input.disabled = unlisted.checked;
    show();
  });
  const element = h("div", { class: "agency-picker" },
    field("Agency (from the directory)", input, "Jurisdiction and type come from the directory entry"),
    options, facts,
    h("div", { class: "field" }, h("label", { class: "check" }, unlisted, " The agency is not in the directory")),
    field("Agency's name as the letter gives it", unlistedName));
  return {
    element,
    selection() {
      if (unlisted.checked) return { agency_name: unlistedName.value.trim() };
      const entry = byName.get(input.value.trim().toLowerCase());
      if (!entry) throw new Error("Choose the agency from the directory, or tick \"not in the directory\".");
      return { agency_id: entry.agency_id };
    },
  };
}

// ---------------------------------------------------------------- the directory page

async function directoryPage(main) {
  const statusFilter = new URLSearchParams(location.hash.split("?")[1] || "").get("status") || "active";
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "Status" },
    ["active", "proposed", "declined", "retired"].map((status) => h("button", { type: "button",
      class: "secondary", "aria-pressed": String(status === statusFilter),
      onclick: () => { location.hash = `#/directory?status=${status}`; } }, plain(status))));
  const detail = h("section", { id: "agency-detail", "aria-live": "polite" });
  const [listed, waiting] = await Promise.all([
    guarded(() => api("GET", `agencies?status=${encodeURIComponent(statusFilter)}`)),
    can("manage_agencies") ? guarded(() => api("GET", "agencies?status=proposed")) : null]);
  if (!listed) return;
  if (waiting && waiting.agencies.length) {
    main.append(h("section", { class: "panel", id: "awaiting-confirmation", "aria-labelledby": "awaiting-title" },
      h("h2", { id: "awaiting-title" }, `Proposed entries awaiting a second administrator (${waiting.agencies.length})`),
      table([
        ["Agency", (entry) => entry.name], ["ORI", (entry) => entry.ori],
        ["Proposed by", (entry) => `${entry.proposed_by}, ${when(entry.proposed_at)}`],
        ["", (entry) => h("button", { type: "button", class: "secondary",
          "aria-label": `Review proposal ${entry.name}`, onclick: () => showAgency(entry.agency_id, detail) }, "Review")],
      ], waiting.agencies, "")));
  }
  main.append(tabs, h("div", { class: "split" }, h("div", { id: "agency-list" }, table([
    ["Agency", (entry) => entry.name], ["ORI", (entry) => entry.ori], ["Type", (entry) => plain(entry.agency_type)],
    ["County", (entry) => entry.county || "statewide"], ["Status", (entry) => badge(entry.status)],
    ["", (entry) => h("button", { type: "button", class: "secondary", "aria-label": `Open ${entry.name}`,
      onclick: () => showAgency(entry.agency_id, detail) }, "Open")],
  ], listed.agencies, `No ${plain(statusFilter)} entries.`)), detail));
  if (can("manage_agencies")) main.append(await proposeForm());
}

async function showAgency(agencyId, area) {
  const entry = await guarded(() => api("GET", `agencies/${agencyId}`));
  if (!entry) return;
  const blocks = [h("h2", {}, entry.name), badge(entry.status), agencyFacts(entry),
    entry.close_reason ? h("p", {}, `${plain(entry.status)} by ${entry.closed_by}: ${entry.close_reason}`) : "",
    entry.release_blockers.length && entry.status === "active"
      ? h("p", { class: "notice error", id: "agency-blockers" }, `Releases to this entry are refused: ${entry.release_blockers.join("; ")}`) : ""];
  const reason = h("textarea", { name: "reason", id: "agency-reason" });
  const act = async (path, button, question, done) => {
    if (path !== "confirmation" && !reason.value.trim()) {
      say("Write the reason first; it is kept on file.", "error");
      reason.focus();
      return;
    }
    if (!(await confirmDialog(question, button.textContent))) return;
    const result = await guarded(() => api("POST", `agencies/${entry.agency_id}/${path}`,
      path === "confirmation" ? undefined : { reason: reason.value }), button);
    if (result) { say(done); await render(); }
  };
  if (can("manage_agencies") && entry.status === "proposed") {
    const mine = entry.proposed_by.toLowerCase() === state.username.toLowerCase();
    const confirmButton = h("button", { type: "button", id: "confirm-agency", disabled: mine }, "Confirm entry");
    confirmButton.addEventListener("click", () => act("confirmation", confirmButton,
      `Confirm ${entry.name} (ORI ${entry.ori}) as an agency ALPR data may be shared with? You vouch for every fact above.`,
      `${entry.name} confirmed: requests may now name it.`));
    const declineButton = h("button", { type: "button", class: "danger", id: "decline-agency" }, mine ? "Withdraw" : "Decline");
    declineButton.addEventListener("click", () => act("rejection", declineButton,
      `Decline the proposal of ${entry.name}? It is kept on file and never takes effect.`, "Proposal declined."));
    blocks.push(h("h2", {}, "Second administrator"),
      mine ? h("p", { class: "hint", id: "own-proposal" }, "You proposed this entry: a second administrator must confirm it (two-person rule).") : "",
      field("Reason (to decline; kept on file)", reason), h("div", { class: "actions" }, confirmButton, declineButton));
  }
  if (can("manage_agencies") && entry.status === "active") {
    const retireButton = h("button", { type: "button", class: "danger", id: "retire-agency" }, "Retire entry");
    retireButton.addEventListener("click", () => act("retirement", retireButton,
      `Retire ${entry.name}? Nothing more can be released to it; the entry stays on file.`, "Entry retired."));
    blocks.push(field("Reason (to retire; kept on file)", reason), h("div", { class: "actions" }, retireButton));
  }
  area.replaceChildren(h("div", { class: "panel" }, blocks));
}

async function proposeForm() {
  const found = await guarded(() => api("GET", "agencies/candidates"));
  const candidates = found ? found.candidates : [];
  const byName = new Map(candidates.map((row) => [row.name.toLowerCase(), row]));
  const form = h("form", { class: "panel", id: "propose-agency", "aria-labelledby": "propose-title" },
    h("h2", { id: "propose-title" }, "Propose an agency"),
    h("p", { class: "hint" }, "Only California state and local law enforcement and prosecutors. The name, ORI and mail domains are screened; federal, out-of-state and private bodies are refused by law (Civil Code 1798.90.55(b)). A second administrator confirms every entry."),
    h("datalist", { id: "candidate-options" }, candidates.map((row) => h("option", { value: row.name }))),
    h("div", { class: "fields" },
      field("Name", h("input", { name: "name", id: "propose-name", list: "candidate-options", required: true, autocomplete: "off" }),
        `Type to pick from ${candidates.length} California agencies shipped with the system`),
      field("ORI", h("input", { name: "ori", id: "propose-ori", required: true, maxlength: 12 }), "9 characters, from CLETS/NCIC or the agency's letterhead"),
      field("Type", select("agency_type", [["law_enforcement", "Law enforcement"], ["prosecutorial", "Prosecutorial"], ["other", "Other public body"]])),
      field("Level", select("level", [["local", "Local (one county)"], ["state", "State (statewide)"]])),
      field("County", h("input", { name: "county", id: "propose-county" })),
      field("City", h("input", { name: "city", id: "propose-city" })),
      field("Mail domains", h("input", { name: "domains", id: "propose-domains", placeholder: "sheriff.example.gov" }), "where its written requests come from, space separated"),
      field("Note", h("input", { name: "note" }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Propose")));
  const nameInput = form.querySelector("#propose-name");
  nameInput.addEventListener("input", () => {
    const row = byName.get(nameInput.value.trim().toLowerCase());
    if (!row) return;
    for (const name of ["agency_type", "level", "county", "city"]) form.elements[name].value = row[name];
    form.elements.domains.value = row.domains.join(" ");
    if (row.ori) form.elements.ori.value = row.ori;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.domains = String(data.domains || "").split(/[\s,]+/).filter(Boolean);
    const done = await guarded(() => api("POST", "agencies", data), form.querySelector("button[type=submit]"));
    if (done) {
      say(`${done.name} proposed; a second administrator must confirm it.`);
      location.hash = "#/directory?status=proposed";
    }
  });
  return form;
}
