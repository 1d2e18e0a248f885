// Platekeeper console: evidence exports (approve_hold). The packages in the evidence bucket, a
// five-minute download link (a custody event in the access record) and a check of a package as
// its recipient would make it: hashes, ingest-time hashes and the evidence key's signature.
"use strict";

const VERDICT_TEXT = {
  intact: "Intact: every file matches its hash, the ingest-time hashes and the signature.",
  intact_but_rewritten: "Intact, but the stored object was written more than once: check the earlier versions.",
  failed: "FAILED: the package does not match what was signed.",
  not_a_package: "Not an evidence package.",
};

function size(bytes) { return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`; }

async function exportsPage(main) {
  const catalog = await loadCatalog();
  const found = await guarded(() => api("GET", "exports"));
  if (!found) return;
  const out = h("section", { id: "export-result", "aria-live": "polite" });
  const purpose = select("export-purpose", [["", "Choose..."], ...catalog.purposes.map((p) => [p, plain(p)])]);
  const download = async (item, button) => {
    if (!purpose.value) { say("Choose the purpose of the download first; it is recorded.", "error"); purpose.focus(); return; }
    const link = await guarded(() => api("POST", `exports/${item.export_id}/download`,
      { case_number: item.case_number, purpose: purpose.value }), button);
    if (!link) return;
    say("");
    out.replaceChildren(h("div", { class: "notice ok", id: "export-link" },
      `Download link for case ${item.case_number} (valid ${Math.round(link.expires_in / 60)} minutes, recorded as a custody event): `,
      h("a", { href: link.url, target: "_blank", rel: "noopener" }, "download package")));
  };
  const verify = async (item, button) => {
    const result = await guarded(() => api("POST", `exports/${item.export_id}/verification`,
      { case_number: item.case_number }), button);
    if (!result) return;
    say("");
    const good = result.verdict === "intact";
    out.replaceChildren(h("div", { class: `panel ${good ? "" : "bad"}`, id: "verify-result" },
      h("h2", {}, `Package ${item.export_id.slice(0, 8)} for case ${item.case_number}`),
      h("p", { class: `notice ${good ? "ok" : "error"}`, id: "verdict" }, VERDICT_TEXT[result.verdict] || plain(result.verdict)),
      details([["Files checked", result.files_checked], ["Signature", result.signature],
        ["Altered", (result.altered || []).join(", ")], ["Missing", (result.missing || []).join(", ")],
        ["Extra", (result.extra || []).join(", ")], ["Replaced after ingest", (result.replaced_after_ingest || []).join(", ")],
        ["Stored versions", result.versions], ["SHA-256", h("code", {}, result.sha256)], ["Detail", result.detail]])));
  };
  main.append(h("p", { class: "hint" }, "Each download link and each check is recorded in the access record with your name."),
    h("div", { class: "fields" }, field("Purpose of downloads", purpose, "recorded with each download link")),
    h("div", { id: "export-list" }, table([
      ["Stored", (e) => when(e.stored_at)], ["Case", (e) => e.case_number],
      ["Package", (e) => h("code", {}, e.export_id)], ["Size", (e) => size(e.size)],
      ["Versions", (e) => (e.versions > 1 ? h("strong", { class: "soon" }, `${e.versions} (rewritten)`) : e.versions)],
      ["", (e) => h("span", { class: "actions compact" },
        h("button", { type: "button", class: "secondary", "aria-label": `Download link for ${e.export_id}`,
          onclick: (event) => download(e, event.target) }, "Download link"),
        h("button", { type: "button", class: "secondary", "aria-label": `Verify ${e.export_id}`,
          onclick: (event) => verify(e, event.target) }, "Verify"))],
    ], found.exports, "No evidence packages yet.")), out);
}
