// Platekeeper console: hotlists (manage_hotlist). Each list's priority (high: a tone and an
// e-mail/text notice), its loads with their counts and age, stale lists flagged; custom entries
// with case number, requester, approver and expiry; adding, importing and withdrawing entries.
"use strict";

const HOTLIST_CATEGORIES = ["stolen_vehicle", "stolen_plate", "wanted", "missing_person", "warrant",
  "amber_alert", "felony_vehicle", "other"];

function age(hours) {
  if (hours === null || hours === undefined) return "never loaded";
  return hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`;
}

async function hotlistsPage(main) {
  const found = await guarded(() => api("GET", "hotlist/lists"));
  if (!found) return;
  const stale = found.lists.filter((list) => list.stale);
  const setPriority = async (list, level, button) => {
    if (!(await confirmDialog(`Make alerts from ${list.list_name} ${level} priority?` +
      (level === "high" ? " Officers hear a tone and subscribers get a notice for each hit." : ""), "Save"))) return;
    if (await guarded(() => api("PUT", `hotlist/lists/${encodeURIComponent(list.list_name)}/priority`, { priority: level }), button)) {
      await render();
      say(`${list.list_name}: ${level} priority.`);
    }
  };
  const withdraw = async (entry, button) => {
    const reason = window.prompt(`Why does ${entry.plate} stop alerting (recovered, case closed...)? Kept on file.`);
    if (!reason || !reason.trim()) return;
    if (await guarded(() => api("POST", `hotlist/entries/${entry.entry_id}/withdrawal`, { reason: reason.trim() }), button)) {
      await render();
      say(`${entry.plate} no longer alerts.`);
    }
  };
  main.append(
    stale.length ? h("p", { class: "notice error", id: "stale-lists" },
      `Stale: ${stale.map((list) => `${list.list_name} (last loaded ${age(list.age_hours)} ago, limit ${list.freshness_limit_hours} h)`).join(", ")}. `,
      "Hits from an old list may no longer be wanted: load the current file.") : "",
    h("h2", {}, "Lists"),
    h("div", { id: "hotlist-lists" }, table([
      ["List", (l) => h("strong", {}, l.list_name)], ["Source", (l) => plain(l.source)],
      ["Priority", (l) => h("span", { class: "actions compact" }, badge(l.priority === "high" ? "denied" : "routed", l.priority),
        h("button", { type: "button", class: "secondary", "aria-label": `Make ${l.list_name} ${l.priority === "high" ? "normal" : "high"} priority`,
          onclick: (event) => setPriority(l, l.priority === "high" ? "normal" : "high", event.target) },
        l.priority === "high" ? "Make normal" : "Make high"))],
      ["Last load", (l) => (l.last_loaded_at ? when(l.last_loaded_at) : "never")],
      ["Entries", (l) => l.entries_last_load ?? ""],
      ["Age", (l) => h("span", { class: l.stale ? "soon" : "" }, age(l.age_hours), l.stale ? " (stale)" : "")],
      ["Loads", (l) => l.loads.slice(0, 3).map((load) => h("div", { class: "hint" },
        `${when(load.loaded_at)}: ${load.accepted} of ${load.total_lines} lines (${load.format})`,
        load.filtered_immigration ? `, ${load.filtered_immigration} immigration entries refused` : "",
        ` - ${load.requested_by || "?"}${load.approved_by ? ` / ${load.approved_by}` : ""}`))],
    ], found.lists, "No lists loaded yet.")),
    h("h2", {}, "Custom entries"),
    h("div", { id: "custom-entries" }, table([
      ["Plate", (e) => `${e.plate} ${e.state || ""}`.trim()], ["Category", (e) => plain(e.category)],
      ["Case", (e) => e.case_number], ["Reason", (e) => e.reason],
      ["Requested by", (e) => e.requested_by], ["Approved by", (e) => e.approved_by],
      ["Added", (e) => when(e.added_at)],
      ["Expires", (e) => (e.expires_at ? h("span", { class: e.expired ? "soon" : "" },
        when(new Date(e.expires_at * 1000).toISOString()), e.expired ? " (expired)" : "") : "no expiry")],
      ["", (e) => h("button", { type: "button", class: "danger", "aria-label": `Withdraw ${e.plate}`,
        onclick: (event) => withdraw(e, event.target) }, "Withdraw")],
    ], found.custom_entries, "No custom entries.")),
    addEntryForm(), importForm());
}

function addEntryForm() {
  const expires = new Date(Date.now() + 30 * 86400000);
  const form = h("form", { class: "panel", id: "add-entry", "aria-labelledby": "add-entry-title" },
    h("h2", { id: "add-entry-title" }, "Add a custom entry"),
    h("p", { class: "hint" }, "Someone asks (named here) and you approve by adding it; both names, the case number and the expiry are kept. Immigration enforcement is not a lawful use (SB 54)."),
    h("div", { class: "fields" },
      field("Plate", h("input", { name: "plate", id: "entry-plate", required: true, maxlength: 12, autocomplete: "off" }), "full, or partial with * and ?"),
      field("State", h("input", { name: "state", maxlength: 2, placeholder: "CA" })),
      field("Category", select("entry-category", HOTLIST_CATEGORIES.map((c) => [c, plain(c)]))),
      field("Case number", h("input", { name: "case_number", id: "entry-case", required: true })),
      field("Reason", h("input", { name: "reason", id: "entry-reason", required: true })),
      field("Requested by", h("input", { name: "requested_by", id: "entry-requester", required: true })),
      field("Expires", h("input", { name: "expires", id: "entry-expires", type: "datetime-local", value: localValue(expires) }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Add entry")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = Object.fromEntries(["plate", "state", "case_number", "reason", "requested_by"]
      .map((name) => [name, String(data.get(name) || "").trim()]));
    body.category = form.querySelector("#entry-category").value;
    if (data.get("expires")) body.expires = isoFromLocal(data.get("expires"));
    const made = await guarded(() => api("POST", "hotlist/entries", body), form.querySelector("button"));
    if (made) { await render(); say(`${made.plate} added.`); }
  });
  return form;
}

function importForm() {
  const form = h("form", { class: "panel", id: "import-list", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, "Load a list file"),
    h("div", { class: "fields" },
      field("List name", h("input", { name: "list_name", id: "import-name", required: true, placeholder: "ncic-stolen" })),
      field("Format", select("import-format", [["", "Detect"], ["ncic", "NCIC"], ["clew", "CLEW"], ["csv", "CSV"]])),
      field("Requested by", h("input", { name: "requested_by", id: "import-requester", required: true })),
      field("File", h("input", { name: "file", id: "import-file", type: "file", accept: ".txt,.csv,.dat", required: true }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Load")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get("file");
    const report = await guarded(async () => {
      if (!file || !file.size) throw new Error("Choose the list file.");
      return api("POST", "hotlist/imports", { list_name: String(data.get("list_name")).trim(),
        format: form.querySelector("#import-format").value, requested_by: String(data.get("requested_by")).trim(),
        content: await file.text() });
    }, form.querySelector("button"));
    if (report) {
      await render();
      say(`${report.list_name}: ${report.accepted} of ${report.total_lines} lines loaded` +
        (report.filtered_immigration ? `, ${report.filtered_immigration} immigration entries refused` : "") + ".");
    }
  });
  return form;
}
