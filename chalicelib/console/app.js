// Platekeeper console: plain DOM, no framework or build step. Every value from the API is put in
// the page with textContent (never as markup), and the server enforces every permission again;
// the menu only hides what a role may not use.
"use strict";

const state = { token: sessionStorage.getItem("pk.token"), roles: [], permissions: new Set(),
                username: "", catalog: null };

// ---------------------------------------------------------------- small helpers

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let hintCount = 0;

function field(label, input, hint) {
  // The hint is outside the label (so the label names the input exactly) and described by it.
  const note = hint ? h("span", { class: "hint", id: `hint-${++hintCount}` }, hint) : null;
  if (note) input.setAttribute("aria-describedby", note.id);
  return h("div", { class: "field" }, h("label", {}, label, input), note);
}

function select(name, options, attrs) {
  return h("select", { name, id: name, ...(attrs || {}) },
    options.map(([value, text]) => h("option", { value }, text)));
}

function say(text, kind) {
  const box = document.getElementById("message");
  box.replaceChildren(text ? h("div", { class: `notice ${kind || "ok"}` }, text) : "");
}

function plain(code) { return String(code || "").replaceAll("_", " "); }

function isoFromLocal(value) { return value ? new Date(value).toISOString() : undefined; }

// A datetime-local field has minute precision: an end time covers its whole minute.
function isoEndFromLocal(value) {
  return value ? new Date(new Date(value).getTime() + 59999).toISOString() : undefined;
}

function localValue(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

function when(text) { return text ? new Date(text).toLocaleString() : ""; }

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, "NETWORK", "The service could not be reached. Check the connection.");
  }
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = payload && payload.message ? payload.message : `Request failed (${response.status})`;
    if (response.status === 401) signOut(false);
    throw new ApiError(response.status, payload && payload.error, message);
  }
  return payload;
}

async function guarded(action, button) {
  if (button) button.disabled = true;
  try { return await action(); }
  catch (error) { say(error.message, "error"); return undefined; }
  finally { if (button) button.disabled = false; }
}

function confirmDialog(text, okLabel) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel || "Confirm";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function table(columns, rows, emptyText) {
  if (!rows.length) return h("p", { class: "empty" }, emptyText);
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row))))))));
}

function details(pairs) {
  return h("dl", { class: "details" },
    pairs.filter(([, value]) => value !== "" && value !== null && value !== undefined)
      .flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function badge(status, label) { return h("span", { class: `badge ${status}` }, plain(label || status)); }

function decodeToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  } catch (error) { return {}; }
}

// ---------------------------------------------------------------- session

async function loadCatalog() {
  if (!state.catalog) state.catalog = await api("GET", "console/catalog.json");
  return state.catalog;
}

async function startSession(token) {
  state.token = token;
  sessionStorage.setItem("pk.token", token);
  markActive();
  const claims = decodeToken(token);
  state.username = claims["cognito:username"] || claims.username || "";
  state.roles = claims["cognito:groups"] || [];
  const catalog = await loadCatalog();
  state.permissions = new Set(state.roles.flatMap((role) => catalog.roles[role] || []));
}

function signOut(announce, message) {
  state.token = null;
  state.permissions = new Set();
  sessionStorage.removeItem("pk.token");
  sessionStorage.removeItem("pk.active");
  if (message) say(message, "error");
  else if (announce) say("Signed out.");
  location.hash = "#/login";
  render();
}

// ---------------------------------------------------------------- session lock (CJIS)
// After the catalog's session_idle_minutes without a key press, click or touch the console
// signs itself out; the last activity survives a reload, so reloading does not reset the clock.

const IDLE_DEFAULT_MINUTES = 30;

function markActive() { if (state.token) sessionStorage.setItem("pk.active", String(Date.now())); }

function idleMinutes() {
  return (state.catalog && state.catalog.session_idle_minutes) || IDLE_DEFAULT_MINUTES;
}

function lockIfIdle() {
  if (!state.token) return;
  const last = Number(sessionStorage.getItem("pk.active") || Date.now());
  if (Date.now() - last >= idleMinutes() * 60000) {
    signOut(false, `The console locked itself after ${idleMinutes()} minutes without activity ` +
      "(CJIS session lock). Sign in again to continue.");
  }
}

for (const kind of ["keydown", "pointerdown", "click"]) {
  document.addEventListener(kind, markActive, { capture: true, passive: true });
}
setInterval(lockIfIdle, 15000);

const PAGES = [
  { id: "releases", title: "Release requests", permission: "file_release", view: releasesPage },
  { id: "directory", title: "Agency directory", permission: "file_release", view: (main) => directoryPage(main) },
  { id: "search", title: "Search", permission: "search_reads", view: searchPage },
  { id: "alerts", title: "Alerts", permission: "view_alerts", view: (main) => liveAlertsPage(main) },
  { id: "holds", title: "Holds", permission: "approve_hold", view: holdsPage },
  { id: "exports", title: "Evidence exports", permission: "approve_hold", view: (main) => exportsPage(main) },
  { id: "hotlists", title: "Hotlists", permission: "manage_hotlist", view: (main) => hotlistsPage(main) },
  { id: "audit", title: "Audit log", permission: "read_audit", view: auditPage },
  { id: "approvals", title: "Approvals", permission: "approve_extended_search", view: approvalsPage },
  { id: "cameras", title: "Cameras", permission: "manage_cameras", view: (main) => camerasPage(main) },
  { id: "uploads", title: "Camera uploads", permission: "manage_cameras", view: uploadsPage },
  { id: "accounts", title: "Accounts", permission: "manage_users", view: (main) => accountsPage(main) },
  { id: "status", title: "Camera status", permission: "system_status", view: (main) => cameraStatusPage(main) },
];

function allowedPages() { return PAGES.filter((page) => state.permissions.has(page.permission)); }

function can(permission) { return state.permissions.has(permission); }

async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  const route = (location.hash.replace(/^#\//, "") || "").split("?")[0];
  if (!state.token) {
    nav.replaceChildren();
    document.getElementById("who").textContent = "";
    document.getElementById("signout").hidden = true;
    main.replaceChildren(loginPage());
    return;
  }
  lockIfIdle();
  if (!state.token) return;
  if (!state.permissions.size) await guarded(() => startSession(state.token));
  if (seq !== renderSeq) return;
  const pages = allowedPages();
  const page = pages.find((item) => item.id === route) || pages[0];
  nav.replaceChildren(...pages.map((item) => h("a", { href: `#/${item.id}`, onclick: () => say(""),
    "aria-current": item === page ? "page" : null }, item.title)));
  document.getElementById("who").textContent = `${state.username} (${state.roles.map(plain).join(", ")})`;
  document.getElementById("signout").hidden = false;
  if (!page) {
    main.replaceChildren(h("h1", {}, "Nothing to show"),
      h("p", {}, "Your role has no pages in this console. Ask the ALPR administrator if that is wrong."));
    return;
  }
  document.title = `${page.title} - Platekeeper`;
  // Pages load data before they show; build off-screen and show only the latest render, so a
  // hash change during a load cannot leave two copies of a page.
  const view = h("div", {}, h("h1", {}, page.title));
  main.replaceChildren(h("h1", {}, page.title), h("p", { class: "hint" }, "Loading..."));
  await page.view(view);
  if (seq === renderSeq) main.replaceChildren(...view.childNodes);
}

let renderSeq = 0;

// ---------------------------------------------------------------- login

function loginPage() {
  const form = h("form", { class: "panel login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in"),
    h("div", { class: "fields" },
      field("Username", h("input", { name: "username", id: "username", autocomplete: "username", required: true })),
      field("Password", h("input", { name: "password", id: "password", type: "password",
        autocomplete: "current-password", required: true }))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "signin" }, "Sign in")),
    h("p", { class: "hint" }, "Every search and view is recorded with your name, purpose and case number."));
  let challenge = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    await guarded(async () => {
      let result;
      if (challenge && challenge.kind === "MFA_SETUP") {
        await api("POST", "auth/mfa/setup", { username: challenge.username,
          session: challenge.session, code: data.get("code") });
        form.replaceWith(loginPage());
        say("Authenticator enrolled. Sign in again with a code from it.");
        return;
      }
      if (challenge && challenge.kind === "NEW_PASSWORD_REQUIRED") {
        if (data.get("new_password") !== data.get("new_password_again")) {
          throw new Error("The two new passwords differ; type the same one twice.");
        }
        result = await api("POST", "auth/password", { username: challenge.username,
          session: challenge.session, new_password: data.get("new_password") });
        form.querySelector("#first-sign-in").remove();
        challenge = null;
      } else if (challenge) {
        result = await api("POST", "auth/mfa", { username: challenge.username,
          session: challenge.session, code: data.get("code") });
      } else {
        result = await api("POST", "auth/login", { username: data.get("username"),
          password: data.get("password") });
      }
      if (result.challenge === "NEW_PASSWORD_REQUIRED") {
        // First sign-in: the password was the temporary one Cognito e-mailed.
        challenge = { kind: "NEW_PASSWORD_REQUIRED", username: data.get("username"), session: result.session };
        form.querySelector("#password").disabled = true;
        form.querySelector(".fields").append(h("div", { id: "first-sign-in", class: "fields" },
          h("p", { class: "notice ok" }, "Welcome. That was your temporary password: choose your own now ",
            "(at least 14 characters with upper and lower case letters, a digit and a symbol)."),
          field("New password", h("input", { name: "new_password", id: "new-password", type: "password",
            autocomplete: "new-password", required: true, minlength: 14 })),
          field("New password again", h("input", { name: "new_password_again", id: "new-password-again",
            type: "password", autocomplete: "new-password", required: true, minlength: 14 }))));
        form.querySelector("#new-password").focus();
        return;
      }
      if (result.challenge === "MFA_SETUP") {
        challenge = { kind: "MFA_SETUP", username: data.get("username"), session: result.session };
        form.querySelector(".fields").append(
          h("div", { class: "notice ok", id: "enrol" },
            "Your role sees plate data, so every sign-in needs a one-time code (CJIS Security Policy). ",
            "Add this key to your authenticator app, then enter the code it shows: ",
            h("code", { id: "secret" }, result.secret_code), " (", h("code", {}, result.otpauth_uri), ")"),
          field("One-time code", h("input", { name: "code", id: "code", inputmode: "numeric",
            autocomplete: "one-time-code", required: true }), "From your authenticator app"));
        form.querySelector("#code").focus();
        return;
      }
      if (result.challenge) {
        challenge = { username: data.get("username"), session: result.session };
        form.querySelector(".fields").append(field("One-time code",
          h("input", { name: "code", id: "code", inputmode: "numeric", autocomplete: "one-time-code",
            required: true }), "From your authenticator app"));
        form.querySelector("#code").focus();
        return;
      }
      await startSession(result.id_token);
      say("");
      location.hash = `#/${(allowedPages()[0] || { id: "" }).id}`;
      await render();
    }, button);
  });
  return form;
}

// ---------------------------------------------------------------- release requests

async function releasesPage(main) {
  const catalog = await loadCatalog();
  const statusFilter = new URLSearchParams(location.hash.split("?")[1] || "").get("status") || "pending";
  const listArea = h("div", { id: "release-list" });
  const detailArea = h("section", { id: "release-detail", "aria-live": "polite" });
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "Status" },
    catalog.release_statuses.map((status) => h("button", { type: "button", class: "secondary",
      "aria-pressed": String(status === statusFilter),
      onclick: () => { location.hash = `#/releases?status=${status}`; } }, plain(status))));
  main.append(tabs, h("div", { class: "split" }, listArea, detailArea));
  if (can("file_release")) {
    const directory = await guarded(() => activeAgencies());
    if (directory) main.append(fileRequestForm(catalog, directory));
  }
  const found = await guarded(() => api("GET", `releases?status=${encodeURIComponent(statusFilter)}`));
  if (!found) return;
  listArea.append(table([
    ["Filed", (r) => when(r.filed_at)],
    ["Agency", (r) => r.agency],
    ["Jurisdiction", (r) => plain(r.jurisdiction)],
    ["Data", (r) => [r.plate || "", r.cameras.join(", ")].filter(Boolean).join(" / ")],
    ["Status", (r) => badge(r.status)],
    ["", (r) => h("button", { type: "button", class: "secondary",
      "aria-label": `Open request from ${r.agency}`,
      onclick: () => showRequest(r.request_id, detailArea) }, "Open")],
  ], found.requests, `No ${plain(statusFilter)} requests.`));
}

async function showRequest(requestId, area) {
  const request = await guarded(() => api("GET", `releases/${requestId}`));
  if (!request) return;
  const entry = request.agency_id ? await guarded(() => api("GET", `agencies/${request.agency_id}`)) : null;
  const blocks = [h("h2", {}, `Request from ${request.agency}`), badge(request.status)];
  if (request.status === "prohibited") {
    blocks.push(h("p", { class: "notice prohibited", id: "prohibited-banner" },
      `Sharing prohibited by law. ${request.rule}`));
  } else if (request.status === "unlisted") {
    blocks.push(h("p", { class: "notice error", id: "unlisted-banner" }, request.rule));
  } else {
    blocks.push(h("p", { class: "hint" }, request.rule));
  }
  if (entry) blocks.push(h("h3", {}, "The agency in the directory"), agencyFacts(entry));
  blocks.push(details([
    ["Agency type", entry ? "" : plain(request.agency_type)],
    ["Jurisdiction", entry ? "" : plain(request.jurisdiction)],
    ["Sent from", request.sent_from || "no sender address"],
    ["Requester", request.requester_name], ["Contact", request.requester_contact],
    ["Purpose", plain(request.purpose)], ["Intended use", request.purpose_detail],
    ["Case number", request.case_number], ["Plate", request.plate],
    ["Cameras", request.cameras.join(", ")],
    ["Window", `${when(request.from)} to ${when(request.to)}`],
    ["Filed", `${when(request.filed_at)} by ${request.filed_by}`],
    ["Written request", h("a", { href: request.document_url, target: "_blank", rel: "noopener" },
      `${request.document.filename} (link valid ${Math.round(request.document_url_expires_in / 60)} min)`)],
    ["Decided", request.decided_at ? `${when(request.decided_at)} by ${request.decided_by}` : ""],
    ["Reason", request.decision_reason], ["Reads released", request.decided_at ? request.reads_released : ""],
    ["Package SHA-256", request.export_sha256],
    ["Warnings acknowledged", request.acknowledged_warnings.map(plain).join(", ")],
  ]));
  if (request.status === "unlisted" && !request.decided_at && can("file_release")) {
    blocks.push(await linkForm(request, area));
  }
  const undecided = !request.decided_at && ["pending", "prohibited", "unlisted"].includes(request.status);
  if (undecided && can("review_releases")) {
    const reason = h("textarea", { id: "decision-reason", name: "reason", required: true });
    const denyButton = h("button", { type: "button", id: "deny", class: "danger" }, "Deny");
    denyButton.addEventListener("click", () => decide(request, false, reason, denyButton, area, []));
    const buttons = [denyButton];
    const checks = request.warnings.map((warning) => h("label", { class: "check warning" },
      h("input", { type: "checkbox", name: "acknowledge", value: warning.code }), ` ${warning.message}`));
    const own = request.filed_by.toLowerCase() === state.username.toLowerCase();
    if (request.status === "pending" && !own) {
      const approveButton = h("button", { type: "button", id: "approve" }, "Approve and export");
      approveButton.addEventListener("click", () => decide(request, true, reason, approveButton, area,
        checks.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value)));
      buttons.unshift(approveButton);
    }
    blocks.push(h("h2", {}, "Decision"),
      own && request.status === "pending" ? h("p", { class: "hint", id: "own-request" },
        "You filed this request: another person with the right to decide releases approves it (two-person rule).") : "",
      checks.length ? h("fieldset", { class: "warnings", id: "warnings" }, h("legend", {}, "Warnings: tick each one you have checked (kept with the decision)"), checks) : "",
      field("Reason (kept on file)", reason),
      h("div", { class: "actions" }, buttons));
  }
  if (request.status === "approved" && request.export_id && can("review_releases")) {
    const again = h("button", { type: "button", class: "secondary" }, "New delivery link");
    again.addEventListener("click", () => guarded(async () => {
      const delivery = await api("POST", `releases/${request.request_id}/delivery`);
      showDelivery(area, delivery.delivery_url, delivery.delivery_expires_in);
    }, again));
    blocks.push(h("div", { class: "actions" }, again));
  }
  area.replaceChildren(h("div", { class: "panel" }, blocks));
  area.querySelector("h2").setAttribute("tabindex", "-1");
  area.querySelector("h2").focus();
}

async function linkForm(request, area) {
  const directory = await guarded(() => activeAgencies());
  const picker = agencyPicker(directory || []);
  const button = h("button", { type: "button", id: "link-agency", class: "secondary" }, "Link to this entry");
  button.addEventListener("click", () => guarded(async () => {
    const chosen = picker.selection();
    if (!chosen.agency_id) throw new Error("Choose the agency's confirmed directory entry.");
    const linked = await api("POST", `releases/${request.request_id}/agency`, chosen);
    say(`Linked to ${linked.agency}: ${plain(linked.status)}.`);
    history.replaceState(null, "", `#/releases?status=${linked.status}`);
    await render();
    await showRequest(request.request_id, document.getElementById("release-detail"));
  }, button));
  return h("section", { class: "panel", id: "link-panel" },
    h("h3", {}, "Link to the agency's directory entry once it is confirmed"), picker.element,
    h("div", { class: "actions" }, button));
}

async function decide(request, approve, reasonInput, button, area, acknowledged) {
  if (!reasonInput.value.trim()) {
    say("Write the reason for the decision first; it is kept on file.", "error");
    reasonInput.focus();
    return;
  }
  const what = approve
    ? `Approve the request from ${request.agency} and export the matching reads? This cannot be undone.`
    : `Deny the request from ${request.agency}? This cannot be undone.`;
  if (!(await confirmDialog(what, approve ? "Approve" : "Deny"))) return;
  const body = approve ? { reason: reasonInput.value, acknowledged_warnings: acknowledged }
    : { reason: reasonInput.value };
  const result = await guarded(() => api("POST",
    `releases/${request.request_id}/${approve ? "approval" : "denial"}`, body), button);
  if (!result) return;
  // Show the decided request under its new status, so the queue no longer lists it.
  history.replaceState(null, "", `#/releases?status=${result.status}`);  // no hashchange
  await render();
  await showRequest(request.request_id, document.getElementById("release-detail"));
  say(approve ? `Approved: ${result.reads_released} reads exported.` : "Request denied.");
  if (approve && result.delivery_url) {
    showDelivery(document.getElementById("release-detail"), result.delivery_url,
      result.delivery_expires_in);
  }
}

function showDelivery(area, url, seconds) {
  area.prepend(h("div", { class: "notice ok", id: "delivery" },
    "Delivery link for the requesting agency (valid ", Math.round(seconds / 60), " minutes): ",
    h("a", { href: url, target: "_blank", rel: "noopener" }, "download package")));
}

function fileRequestForm(catalog, directory) {
  const now = new Date();
  const picker = agencyPicker(directory);
  const form = h("form", { class: "panel", id: "file-request", "aria-labelledby": "file-title" },
    h("h2", { id: "file-title" }, "File a written request"),
    h("p", { class: "hint" }, "Enter the request exactly as the agency wrote it. The agency comes from the directory; requests from federal, out-of-state or private bodies are recorded and refused by law (Civil Code 1798.90.55(b))."),
    picker.element,
    h("div", { class: "fields" },
      field("Sent from (e-mail address of the letter)", h("input", { name: "sent_from", type: "email", autocomplete: "off" }),
        "checked against the agency's mail domains"),
      field("Requester's name", h("input", { name: "requester_name", required: true })),
      field("Requester's e-mail or phone", h("input", { name: "requester_contact", required: true })),
      field("Purpose", select("purpose", catalog.purposes.map((p) => [p, plain(p)]))),
      field("Intended use (from the letter)", h("textarea", { name: "purpose_detail", required: true })),
      field("Their case number", h("input", { name: "case_number", required: true })),
      field("Plate", h("input", { name: "plate", autocomplete: "off" }), "and/or cameras"),
      field("Cameras", h("input", { name: "cameras", placeholder: "cam-1, cam-2" })),
      field("From", h("input", { name: "from", type: "datetime-local", required: true,
        value: localValue(new Date(now - 7 * 86400000)) })),
      field("To", h("input", { name: "to", type: "datetime-local", required: true, value: localValue(now) })),
      field("Written request (PDF, PNG, JPEG or text)", h("input", { name: "document", type: "file",
        accept: ".pdf,.png,.jpg,.jpeg,.txt", required: true }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "File request")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get("document");
    const button = form.querySelector("button[type=submit]");
    await guarded(async () => {
      const agency = picker.selection();
      const content = await readBase64(file);
      const body = Object.fromEntries(["sent_from", "requester_name", "requester_contact", "purpose",
        "purpose_detail", "case_number", "plate"].map((name) => [name, String(data.get(name) || "")]));
      Object.assign(body, agency);
      body.cameras = String(data.get("cameras") || "").split(",").map((c) => c.trim()).filter(Boolean);
      body.from = isoFromLocal(data.get("from"));
      body.to = isoEndFromLocal(data.get("to"));
      body.document = { filename: file.name, content_type: file.type || "text/plain", content_base64: content };
      const filed = await api("POST", "releases", body);
      say(`Request filed as ${plain(filed.status)}. ${filed.rule}`, filed.status === "prohibited" ? "error" : "ok");
      form.reset();
      location.hash = `#/releases?status=${filed.status}`;
    }, button);
  });
  return form;
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    if (!file || !file.size) { reject(new Error("Attach the agency's written request.")); return; }
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

// ---------------------------------------------------------------- search

async function searchPage(main) {
  const catalog = await loadCatalog();
  const now = new Date();
  const results = h("div", { id: "results" });
  const detail = h("section", { id: "read-detail", "aria-live": "polite" });
  const form = h("form", { class: "panel", id: "search-form", "aria-label": "Search reads" },
    h("div", { class: "fields" },
      field("Search", select("mode", [["exact", "Exact plate"], ["partial", "Partial (* and ?)"], ["fuzzy", "Fuzzy (OCR confusions)"]])),
      field("Plate", h("input", { name: "plate", id: "plate", required: true, autocomplete: "off",
        maxlength: 12 })),
      field("Purpose", select("purpose", [["", "Choose a purpose"], ...catalog.purposes.map((p) => [p, plain(p)])], { required: true })),
      field("Case number", h("input", { name: "case_number", id: "case_number", required: true })),
      field("From", h("input", { name: "from", type: "datetime-local",
        value: localValue(new Date(now - 7 * 86400000)) }),
        `Partial and fuzzy searches need a window of at most ${catalog.pattern_window_days} days; left empty, an exact search covers the last ${catalog.extended_search_days} days`),
      field("To", h("input", { name: "to", type: "datetime-local", value: localValue(now) })),
      field("Cameras", h("input", { name: "cameras", placeholder: "optional: cam-1, cam-2" })),
      field("State", h("input", { name: "state", maxlength: 2, placeholder: "optional: CA",
        pattern: "[A-Za-z]{2}" }), "Reads of that state, and reads whose state was not read")),
    authorityFields(catalog),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "search" }, "Search")));
  const showAuthority = () => updateAuthority(form, catalog);
  form.addEventListener("input", showAuthority);
  form.addEventListener("change", showAuthority);
  showAuthority();
  let cursor = null;
  let last = null;
  let shown = [];
  const plotArea = h("section", { id: "camera-plot-area", "aria-label": "Camera positions" });
  const holdArea = h("div", { id: "hold-request-area" });
  const run = async (more) => {
    const data = new FormData(form);
    const body = last && more ? { ...last, cursor } : {
      mode: data.get("mode"), plate: data.get("plate"), purpose: data.get("purpose"),
      case_number: data.get("case_number"), from: isoFromLocal(data.get("from")),
      to: isoEndFromLocal(data.get("to")), page_size: 50,
      cameras: String(data.get("cameras") || "").split(",").map((c) => c.trim()).filter(Boolean) };
    if (!more && !form.querySelector("#authority").hidden) {
      body.authority = { kind: data.get("authority_kind"), reference: String(data.get("authority_reference") || "") };
    }
    const state = String(data.get("state") || "").trim();
    if (state && !(last && more)) body.state = state.toUpperCase();
    last = body;
    const page = await guarded(() => api("POST", "reads/search", body), form.querySelector("button"));
    if (!page) return;
    say("");
    cursor = page.next_cursor;
    const positions = await cameraPositions().catch(() => ({ cameras: [] }));
    const byId = new Map(positions.cameras.map((camera) => [camera.camera_id, camera]));
    shown = more ? shown.concat(page.results) : page.results;
    const counts = new Map();
    for (const read of shown) counts.set(read.camera_id, (counts.get(read.camera_id) || 0) + 1);
    plotArea.replaceChildren(shown.length ? cameraPlot(positions, counts) : "");
    holdArea.replaceChildren(shown.length && can("request_hold") ? holdRequestForm(results, body.case_number) : "");
    const rows = table([
      ...(can("request_hold") ? [["Select", selectBox]] : []),
      ["Plate", (r) => r.plate], ["State", (r) => r.state || "-"], ["Seen", (r) => when(r.captured_at)],
      ["Camera", (r) => h("span", { class: "camera-cell" }, cameraPlace(byId.get(r.camera_id)) || r.camera_id)],
      ["Confidence", (r) => `${Math.round(r.confidence * 100)}%`], ["Why it matched", (r) => r.matched_because],
      ["Held", (r) => (r.held ? "yes" : "")],
      ["", (r) => h("button", { type: "button", class: "secondary", "aria-label": `View read of ${r.plate}`,
        onclick: () => showRead(r.read_id, body, detail) }, "View")],
    ], page.results, "No reads match.");
    const moreButton = cursor ? h("button", { type: "button", class: "secondary", onclick: () => run(true) }, "More results") : null;
    const summary = `Page ${page.page} of search ${page.search_id.slice(0, 8)}: ${page.results_so_far} results so far; ${page.examined} items examined. The pages of a search are recorded as one search.`;
    // A request that reached its work budget says so: "More results" continues where it stopped.
    const budget = page.work && page.work.stopped_early
      ? h("p", { class: "hint" }, "This page stopped at the search's work limit; More results continues the search.") : "";
    if (more) results.append(h("p", { class: "hint" }, summary), rows, budget, moreButton || "");
    else results.replaceChildren(h("p", { class: "hint", id: "search-summary" }, summary), rows, budget, moreButton || "");
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); run(false); });
  main.append(form, h("div", { class: "split" }, h("div", {}, results, holdArea), h("div", {}, detail, plotArea)));
}

// A search over more than the catalog's extended_search_days of history needs legal authority;
// the form asks for it, and says why, as soon as the window is that long (the server decides).
function authorityFields(catalog) {
  const days = catalog.extended_search_days;
  return h("fieldset", { id: "authority", class: "authority", hidden: true },
    h("legend", {}, "Legal authority"),
    h("p", { class: "notice error", id: "authority-why" },
      `This window covers more than ${days} days of one vehicle's movements. Policy 428.6(b) allows that only `,
      "on a warrant or court order, or with a supervisor's approval given to you for this plate and this case ",
      "(valid at most 24 hours, never by yourself). The authority is kept in the record of this search."),
    h("div", { class: "fields" },
      field("Authority", select("authority_kind", [["warrant", "Warrant"], ["court_order", "Court order"],
        ["supervisor_approval", "Supervisor's approval"]])),
      field("Number", h("input", { name: "authority_reference", id: "authority_reference", autocomplete: "off",
        maxlength: 40 }), "Warrant or court order number; for an approval, optional (its id)")));
}

function windowDays(form) {
  const data = new FormData(form);
  const to = data.get("to") ? new Date(data.get("to")) : new Date();
  const end = Math.min(to.getTime(), Date.now());
  if (!data.get("from")) return data.get("mode") === "exact" ? 0 : Infinity;
  return (end - new Date(data.get("from")).getTime()) / 86400000;
}

function updateAuthority(form, catalog) {
  // Five minutes of grace, like the server: "the last 30 days" chosen a moment ago is not longer.
  const longer = windowDays(form) > catalog.extended_search_days + 5 / 1440;
  form.querySelector("#authority").hidden = !longer;
}

// ---------------------------------------------------------------- approvals (supervisors)

async function approvalsPage(main) {
  const catalog = await loadCatalog();
  const out = h("section", { id: "approval-result", "aria-live": "polite" });
  const form = h("form", { class: "panel", id: "approval-form", "aria-labelledby": "approval-title" },
    h("h2", { id: "approval-title" }, "Approve an extended search"),
    h("p", { class: "hint" }, `A search covering more than ${catalog.extended_search_days} days of one vehicle's `,
      "history needs legal authority. Your approval covers one named user, one plate and one case, for at most ",
      "24 hours; you cannot approve your own search. It is recorded with your name and reason."),
    h("div", { class: "fields" },
      field("Officer's username", h("input", { name: "searcher", id: "searcher", required: true, autocomplete: "off" })),
      field("Plate", h("input", { name: "plate", id: "approval-plate", required: true, autocomplete: "off", maxlength: 12 })),
      field("Case number", h("input", { name: "case_number", id: "approval-case", required: true })),
      field("Hours", h("input", { name: "hours", id: "hours", type: "number", min: 1, max: 24, value: 24, required: true })),
      field("Reason (kept on file)", h("textarea", { name: "reason", id: "approval-reason", required: true }))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "approve-search" }, "Approve")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.hours = Number(data.hours);
    const approval = await guarded(() => api("POST", "search-approvals", data), form.querySelector("button"));
    if (!approval) return;
    say(`Approved for ${approval.searcher} until ${when(approval.expires_at)}.`);
    const revoke = h("button", { type: "button", class: "danger" }, "Revoke");
    revoke.addEventListener("click", async () => {
      if (!(await confirmDialog(`Revoke the approval for ${approval.searcher}? Their next search is refused.`, "Revoke"))) return;
      const done = await guarded(() => api("POST", `search-approvals/${approval.approval_id}/revocation`), revoke);
      if (done) say("Approval revoked.");
    });
    out.replaceChildren(h("div", { class: "panel" }, h("h2", {}, "Approval given"),
      details([["Approval id", approval.approval_id], ["Officer", approval.searcher], ["Plate", approval.plate],
        ["Case", approval.case_number], ["Valid until", when(approval.expires_at)], ["Reason", approval.reason]]),
      h("div", { class: "actions" }, revoke)));
  });
  main.append(form, out);
}

// ---------------------------------------------------------------- holds

async function holdsPage(main) {
  const [active, overdue] = await Promise.all([
    guarded(() => api("GET", "holds")), guarded(() => api("GET", "holds/overdue"))]);
  if (!active || !overdue) return;
  const overdueIds = new Set(overdue.holds.map((hold) => hold.hold_id));
  main.append(
    overdue.holds.length ? h("p", { class: "notice error" }, `${overdue.holds.length} holds are past their review date.`) : "",
    table([
      ["Case", (x) => x.case_number], ["Reason", (x) => plain(x.reason)], ["Reads", (x) => x.reads],
      ["Requested by", (x) => x.requested_by], ["Approved by", (x) => x.approved_by],
      ["Review by", (x) => [x.review_date, overdueIds.has(x.hold_id) ? " (overdue)" : ""].join("")],
      ["", (x) => h("button", { type: "button", class: "danger", "aria-label": `Release hold for case ${x.case_number}`,
        onclick: async (event) => {
          if (!(await confirmDialog(`Release the hold for case ${x.case_number}? Its reads become subject to retention again.`, "Release"))) return;
          const done = await guarded(() => api("POST", `holds/${x.hold_id}/release`), event.target);
          if (done) { say(`Hold released; ${done.reads_changed} reads changed.`); render(); }
        } }, "Release")],
    ], active.holds, "No active holds."),
    await holdRequestsSection(),
    placeHoldForm());
}

// Officers' requests from the search results: approved by an administrator who did not ask.
async function holdRequestsSection() {
  const section = h("section", { id: "hold-requests", "aria-labelledby": "hold-requests-title" },
    h("h2", { id: "hold-requests-title" }, "Hold requests waiting"));
  const found = await guarded(() => api("GET", "holds/requests"));
  if (!found) return section;
  const decide = async (ask, approve, button) => {
    let body;
    if (approve) {
      if (!(await confirmDialog(`Hold ${ask.reads} reads for case ${ask.case_number} until at least ${ask.review_date}?`, "Approve"))) return;
    } else {
      const reason = window.prompt(`Why is the hold for case ${ask.case_number} declined? Kept on file.`);
      if (!reason || !reason.trim()) return;
      body = { reason: reason.trim() };
    }
    const done = await guarded(() => api("POST", `holds/requests/${ask.request_id}/${approve ? "approval" : "denial"}`, body), button);
    if (done) { await render(); say(approve ? `Hold placed for case ${ask.case_number}.` : "Hold request declined."); }
  };
  section.append(table([
    ["Asked", (a) => when(a.requested_at)], ["By", (a) => a.requested_by], ["Case", (a) => a.case_number],
    ["Reason", (a) => plain(a.reason)], ["Reads", (a) => a.reads], ["Review by", (a) => a.review_date], ["Note", (a) => a.note],
    ["", (a) => (a.requested_by.toLowerCase() === state.username.toLowerCase()
      ? h("span", { class: "hint" }, "yours: another administrator decides")
      : h("span", { class: "actions compact" },
        h("button", { type: "button", "aria-label": `Approve hold for case ${a.case_number}`, onclick: (event) => decide(a, true, event.target) }, "Approve"),
        h("button", { type: "button", class: "danger", "aria-label": `Decline hold for case ${a.case_number}`, onclick: (event) => decide(a, false, event.target) }, "Decline")))],
  ], found.requests, "No hold requests waiting."));
  return section;
}

function placeHoldForm() {
  const form = h("form", { class: "panel", "aria-labelledby": "hold-title" },
    h("h2", { id: "hold-title" }, "Place a hold"),
    h("div", { class: "fields" },
      field("Read ids", h("input", { name: "read_ids", required: true }), "comma separated"),
      field("Case number", h("input", { name: "case_number", required: true })),
      field("Reason", select("reason", [["evidence", "Evidence"], ["discovery_request", "Discovery request"],
        ["litigation", "Litigation"], ["other_lawful_action", "Other lawful action"]])),
      field("Requested by", h("input", { name: "requested_by", required: true })),
      field("Review date", h("input", { name: "review_date", type: "date", required: true })),
      field("Note", h("input", { name: "note" }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Place hold")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.read_ids = String(data.read_ids).split(",").map((id) => id.trim()).filter(Boolean);
    const done = await guarded(() => api("POST", "holds", data), form.querySelector("button"));
    if (done) { say(`Hold placed on ${done.reads_changed} reads.`); render(); }
  });
  return form;
}

// ---------------------------------------------------------------- audit

async function auditPage(main) {
  const now = new Date();
  const out = h("div", { id: "audit-results" });
  const form = h("form", { class: "panel", "aria-label": "Filter the access record" },
    h("div", { class: "fields" },
      field("From", h("input", { name: "from", type: "datetime-local", value: localValue(new Date(now - 86400000)) })),
      field("To", h("input", { name: "to", type: "datetime-local", value: localValue(now) })),
      field("Username", h("input", { name: "username" })),
      field("Plate", h("input", { name: "plate" })),
      field("Case number", h("input", { name: "case_number" }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Show"),
      h("button", { type: "button", class: "secondary", id: "csv" }, "Download CSV")));
  const params = () => {
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of ["username", "plate", "case_number"]) if (data.get(name)) query.set(name, data.get(name));
    if (data.get("from")) query.set("from", isoFromLocal(data.get("from")));
    if (data.get("to")) query.set("to", isoEndFromLocal(data.get("to")));
    return query;
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const found = await guarded(() => api("GET", `audit?${params()}`), form.querySelector("button"));
    if (!found) return;
    out.replaceChildren(table([
      ["When", (r) => when(r.at)], ["User", (r) => r.username], ["Role", (r) => plain(r.role)],
      ["Action", (r) => plain(r.action)], ["Outcome", (r) => r.outcome + (r.refusal_code ? ` (${plain(r.refusal_code)})` : "")],
      ["Purpose", (r) => plain(r.purpose)], ["Case", (r) => r.case_number],
      ["What was asked", (r) => queryText(r)], ["Results", (r) => r.result_count],
    ], found.records, "No records in this window."));
  });
  form.querySelector("#csv").addEventListener("click", async (event) => {
    const query = params();
    query.set("format", "csv");
    const text = await guarded(() => api("GET", `audit?${query}`), event.target);
    if (text === undefined) return;
    const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: "audit.csv" });
    document.body.append(link); link.click(); link.remove();
  });
  main.append(form, out, await monthlyReports());
}

// The query elements of a record (plate, mode, window, cameras, ...), and any legal authority.
function queryText(record) {
  const parts = Object.entries(record.query || {}).map(([name, value]) => `${plain(name)}: ${value}`);
  if (record.authority) parts.push(`authority: ${plain(record.authority)} ${record.authority_ref || ""}`.trim());
  if (record.page) parts.push(`page ${record.page}`);
  return h("span", { class: "query" }, parts.join("; "));
}

async function monthlyReports() {
  const section = h("section", { class: "panel", "aria-labelledby": "reports-title", id: "monthly-reports" },
    h("h2", { id: "reports-title" }, "Monthly audit reports"));
  const found = await guarded(() => api("GET", "reports/monthly"));
  if (!found) return section;
  const open = async (month, button) => {
    const report = await guarded(() => api("GET", `reports/monthly/${month}`), button);
    if (report) window.open(report.html_url, "_blank", "noopener");
  };
  const month = h("input", { name: "month", type: "month", "aria-label": "Month to build",
    value: new Date().toISOString().slice(0, 7) });
  const build = h("button", { type: "button", class: "secondary" }, "Build report now");
  build.addEventListener("click", async () => {
    const built = await guarded(() => api("POST", "reports/monthly", { month: month.value }), build);
    if (built) { say(`Report for ${month.value} built.`); render(); }
  });
  section.append(table([
    ["Month", (r) => r.month], ["Built", (r) => when(r.generated_at)],
    ["", (r) => h("button", { type: "button", class: "secondary", "aria-label": `Open report ${r.month}`,
      onclick: (event) => open(r.month, event.target) }, "Open (link valid 5 min)")],
  ], found.reports, "No reports yet; the first is built on the 1st of next month."),
  h("div", { class: "actions" }, month, build));
  return section;
}

// ---------------------------------------------------------------- camera uploads

// Uploads the ingest refused or dropped as repeats: a camera misconfigured, misbehaving or in
// the wrong hands shows here first. No plate data: camera, time, outcome, reason, object key.
async function uploadsPage(main) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const now = new Date();
  const form = h("form", { class: "panel", id: "uploads-filter", "aria-label": "Filter camera uploads" },
    h("div", { class: "fields" },
      field("Camera", h("input", { name: "camera_id", id: "camera_id", autocomplete: "off",
        value: params.get("camera_id") || "", placeholder: "all cameras" })),
      field("Outcome", select("outcome", [["", "Rejected and duplicate"], ["rejected", "Rejected"],
        ["duplicate", "Duplicate"]])),
      field("From", h("input", { name: "from", type: "datetime-local",
        value: localValue(new Date(now - 7 * 86400000)) }), "At most 31 days"),
      field("To", h("input", { name: "to", type: "datetime-local", value: localValue(now) }))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "uploads-show" }, "Show")));
  form.querySelector("#outcome").value = params.get("outcome") || "";
  const counts = h("section", { id: "upload-counts", "aria-labelledby": "counts-title" });
  const list = h("section", { id: "upload-exceptions", "aria-labelledby": "exceptions-title" });
  const show = async (button) => {
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of ["camera_id", "outcome"]) if (data.get(name)) query.set(name, String(data.get(name)).trim());
    if (data.get("from")) query.set("from", isoFromLocal(data.get("from")));
    if (data.get("to")) query.set("to", isoEndFromLocal(data.get("to")));
    const found = await guarded(() => api("GET", `admin/uploads/exceptions?${query}`), button);
    if (!found) return;
    say("");
    const filterBy = (camera) => h("button", { type: "button", class: "secondary",
      "aria-label": `Filter by camera ${camera}`,
      onclick: () => { form.querySelector("#camera_id").value = camera; show(); } }, camera);
    counts.replaceChildren(h("h2", { id: "counts-title" }, "Per camera and day"), table([
      ["Day (UTC)", (c) => c.day], ["Camera", (c) => filterBy(c.camera_id)],
      ["Rejected", (c) => c.rejected], ["Duplicate", (c) => c.duplicate],
    ], found.daily_counts, "No rejected or duplicate uploads in this window."));
    list.replaceChildren(h("h2", { id: "exceptions-title" }, "Uploads"), table([
      ["When", (e) => when(e.at)], ["Camera", (e) => filterBy(e.camera_id)],
      ["Outcome", (e) => badge(e.outcome === "rejected" ? "denied" : "routed", e.outcome)],
      ["Reason", (e) => e.reason], ["Object", (e) => h("code", {}, e.object_key)],
    ], found.exceptions, "Nothing to show."),
    found.truncated ? h("p", { class: "hint" }, "More uploads match; narrow the window or pick a camera.") : "");
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); show(form.querySelector("button")); });
  main.append(h("p", { class: "hint" }, "Uploads that produced no reads: refused by the ingest (no ticket, another camera's key, a reused ticket, wrong type, size or metadata) or the same frame sent again. Each look here is recorded."),
    form, counts, list);
  await show();
}

// ---------------------------------------------------------------- start

document.getElementById("signout").addEventListener("click", () => signOut(true));
window.addEventListener("hashchange", () => render());
render();
