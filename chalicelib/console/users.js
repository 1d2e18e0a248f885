// Platekeeper console: users (manage_users). Who may use the system and until when: roles, the
// training and CLETS certification dates with what lapses next, approval (and re-approval of an
// idle account), enable and disable. The API decides every change and records it; this page
// only offers them. Kept on its own so later user pages (invitations, role changes) extend it.
"use strict";

const DEADLINE_NAMES = { clets_certification: "CLETS", idle_limit: "idle limit" };
const SOON_DAYS = 30;

function daysUntil(day) {
  return Math.round((new Date(`${day}T00:00:00`) - new Date(new Date().toDateString())) / 86400000);
}

function deadlineCell(user) {
  const next = user.next_deadline;
  if (!next) return "";
  const days = daysUntil(next.on);
  const text = `${DEADLINE_NAMES[next.what] || plain(next.what)} ${next.on}` +
    (days >= 0 ? ` (in ${days} days)` : " (lapsed)");
  return h("span", { class: days <= SOON_DAYS ? "soon" : "" }, text);
}

function standingCell(user) {
  if (user.usable) return badge("approved", "can use");
  return h("span", {}, badge("denied", user.refusal_code || "refused"), h("br"),
    h("span", { class: "hint" }, user.refusal_message || ""));
}

async function usersPage(main) {
  const catalog = await loadCatalog();
  const found = await guarded(() => api("GET", "admin/users"));
  if (!found) return;
  const users = found.users.slice().sort((a, b) => a.username.localeCompare(b.username));
  const detail = h("section", { id: "user-detail", "aria-live": "polite" });
  const needsAction = users.filter((user) => !user.usable);
  const lapsingSoon = users.filter((user) => user.usable && user.next_deadline && daysUntil(user.next_deadline.on) <= SOON_DAYS);
  main.append(
    h("p", { class: "hint" }, `A CLETS certification lasts ${catalog.certification_valid_days} days (policy 428.3.1(b)); `,
      `an account unused for ${catalog.idle_limit_days} days is suspended until an administrator re-approves it. `,
      "Every change is recorded with your name."),
    needsAction.length ? h("p", { class: "notice error", id: "users-blocked" },
      `${needsAction.length} account${needsAction.length === 1 ? " cannot" : "s cannot"} be used now: `,
      needsAction.map((user) => `${user.username} (${plain(user.refusal_code)})`).join(", ")) : "",
    lapsingSoon.length ? h("p", { class: "notice", id: "users-soon" },
      `Lapsing within ${SOON_DAYS} days: `, lapsingSoon.map((user) => `${user.username} (${user.next_deadline.on})`).join(", ")) : "",
    detail,
    h("div", { id: "user-list" }, table([
        ["User", (u) => h("span", {}, h("strong", {}, u.username), h("br"), h("span", { class: "hint" }, u.agency || ""))],
        ["Roles", (u) => u.roles.map(plain).join(", ")],
        ["Approved", (u) => (u.approved_at ? `${u.approved_at} by ${u.approved_by}` : "not approved")],
        ["Training", (u) => u.training_date || "none"],
        ["CLETS certified", (u) => u.clets_cert_date || "none"],
        ["Lapses next", deadlineCell],
        ["Last use", (u) => (u.last_access ? when(u.last_access) : "never")],
        ["Standing", standingCell],
        ["", (u) => h("button", { type: "button", class: "secondary", "aria-label": `Manage ${u.username}`,
          onclick: () => showUser(u, detail) }, "Manage")],
      ], users, "No users.")));
}

function showUser(user, area) {
  const blocks = [h("h2", { tabindex: "-1" }, user.username),
    details([["Roles", user.roles.map(plain).join(", ")], ["Agency", user.agency],
      ["Enabled", user.enabled ? "yes" : "no"], ["Authenticator", user.mfa_enabled ? "enrolled" : "not enrolled"],
      ["Approved", user.approved_at ? `${user.approved_at} by ${user.approved_by}` : "not approved"],
      ["CLETS certification lapses", user.certification_expires_on || "no certification on record"],
      ["Idle limit", user.idle_suspends_on ? `suspended from ${user.idle_suspends_on} unless used` : ""],
      ["Can use the system", user.usable ? "yes" : user.refusal_message]])];
  const approveLabel = user.refusal_code === "ACCOUNT_IDLE" ? "Re-approve" : user.approved_at ? "Approve again" : "Approve";
  const approve = h("button", { type: "button", id: "approve-user" }, approveLabel);
  approve.addEventListener("click", async () => {
    const question = user.refusal_code === "ACCOUNT_IDLE"
      ? `${user.username} has not used the system for more than the idle limit. Re-approve the account? Your name is recorded.`
      : `Approve ${user.username} for ALPR access (policy 428.3.1(a))? Your name is recorded.`;
    if (!(await confirmDialog(question, approveLabel))) return;
    if (await guarded(() => api("POST", `admin/users/${encodeURIComponent(user.username)}/approval`), approve)) {
      await reopen(user.username, `${user.username} approved.`);
    }
  });
  const toggle = h("button", { type: "button", id: "toggle-user", class: user.enabled ? "danger" : "secondary" },
    user.enabled ? "Disable" : "Enable");
  toggle.addEventListener("click", async () => {
    if (user.enabled && !(await confirmDialog(`Disable ${user.username}? They are signed out of everything at their next request.`, "Disable"))) return;
    if (await guarded(() => api("PUT", `admin/users/${encodeURIComponent(user.username)}/enabled`, { enabled: !user.enabled }), toggle)) {
      await reopen(user.username, `${user.username} ${user.enabled ? "disabled" : "enabled"}.`);
    }
  });
  const training = h("form", { id: "training-form", "aria-labelledby": "training-title" },
    h("h3", { id: "training-title" }, "Training and CLETS certification"),
    h("div", { class: "fields" },
      field("Training date", h("input", { type: "date", name: "training_date", id: "training-date", required: true,
        value: user.training_date || "" })),
      field("CLETS certification date", h("input", { type: "date", name: "clets_cert_date", id: "clets-date", required: true,
        value: user.clets_cert_date || "" }), "the date on the certificate; not in the future")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Record dates")));
  training.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(training);
    if (await guarded(() => api("PUT", `admin/users/${encodeURIComponent(user.username)}/training`,
      { training_date: data.get("training_date"), clets_cert_date: data.get("clets_cert_date") }), training.querySelector("button"))) {
      await reopen(user.username, `Training and certification dates recorded for ${user.username}.`);
    }
  });
  blocks.push(h("div", { class: "actions" }, approve, toggle), training);
  area.replaceChildren(h("div", { class: "panel", id: "user-panel" }, blocks));
  area.querySelector("h2").focus();
}

async function reopen(username, message) {
  await render();
  const found = await guarded(() => api("GET", "admin/users"));
  const user = found && found.users.find((item) => item.username === username);
  if (user) showUser(user, document.getElementById("user-detail"));
  say(message);
}
