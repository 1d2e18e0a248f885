// Platekeeper console: the accounts page (loaded before app.js, whose helpers h, api, table, details,
// field, select, say, guarded, confirmDialog, plain, when, badge, can, render, loadCatalog and
// state it uses when called). Invite, role, training, approval, enable/disable, re-approval of
// idle accounts, retirement, and the changes waiting for a second administrator. Values from the
// API go into the page as text only; the server checks every rule again.
"use strict";

const ACCOUNT_STATE_LABELS = {
  ACCOUNT_DISABLED: "disabled", ACCOUNT_NOT_APPROVED: "not approved", TRAINING_MISSING: "training missing",
  CERTIFICATION_MISSING: "no CLETS certification", CERTIFICATION_EXPIRED: "CLETS certification expired",
  ACCOUNT_IDLE: "idle", MFA_REQUIRED: "no authenticator yet",
};

function accountBadges(user) {
  const badges = [];
  if (user.retired) badges.push(badge("retired"));
  else if (user.invited) badges.push(badge("pending", "invited: first sign-in due"));
  if (user.outside_change) badges.push(badge("denied", "changed outside Platekeeper"));
  if (user.state && !user.retired) badges.push(badge(user.state.code === "MFA_REQUIRED" ? "pending" : "denied",
    ACCOUNT_STATE_LABELS[user.state.code] || plain(user.state.code)));
  if (user.pending_change) badges.push(badge("pending", "awaiting second administrator"));
  if (!badges.length) badges.push(badge("active", "may use the system"));
  return h("span", { class: "badges" }, badges);
}

function accountRoleText(user) {
  if (user.retired) return user.role ? `${plain(user.role)} (retired)` : "retired";
  const role = user.role ? plain(user.role) : "no role yet";
  return user.supervisor ? `${role}, supervisor` : role;
}

function accountExpiryText(user) {
  const next = user.next_expiry;
  if (!next) return "";
  const days = next.days;
  const when_ = days < 0 ? `lapsed ${-days} days ago` : days === 0 ? "today" : `in ${days} days`;
  return `${next.what}: ${next.date} (${when_})`;
}

function accountReasonField(id, label) {
  return field(label || "Reason (kept in the access record)", h("textarea", { name: "reason", id, required: true, maxlength: 200 }));
}

async function accountsPage(main) {
  const catalog = await loadCatalog();
  const found = await guarded(() => api("GET", "admin/users"));
  if (!found) return;
  const users = found.users;
  const detail = h("section", { id: "user-detail", "aria-live": "polite" });
  const waiting = users.filter((user) => user.pending_change);
  if (waiting.length) {
    main.append(h("section", { class: "panel", id: "awaiting-users", "aria-labelledby": "awaiting-users-title" },
      h("h2", { id: "awaiting-users-title" }, `Changes awaiting a second administrator (${waiting.length})`),
      h("p", { class: "hint" }, "Granting or removing the administrator or auditor role, and retiring an administrator or auditor, takes two administrators. The proposer and the account's owner cannot confirm."),
      table([
        ["User", (user) => user.username],
        ["Change", (user) => user.pending_change.kind === "retirement" ? "retire" : `role: ${plain(user.pending_change.role)}${user.pending_change.supervisor ? ", supervisor" : ""}`],
        ["Proposed by", (user) => `${user.pending_change.proposed_by}, ${when(user.pending_change.proposed_at)}`],
        ["Reason", (user) => user.pending_change.reason],
        ["", (user) => h("button", { type: "button", class: "secondary", "aria-label": `Review change to ${user.username}`,
          onclick: () => showAccount(user, detail, catalog) }, "Review")],
      ], waiting, "")));
  }
  main.append(h("div", { class: "split" }, h("div", { id: "user-list" }, table([
    ["User", (user) => user.username],
    ["Role", accountRoleText],
    ["State", accountBadges],
    ["Next to lapse", accountExpiryText],
    ["Last access", (user) => when(user.last_access) || "never"],
    ["", (user) => h("button", { type: "button", class: "secondary", "aria-label": `Manage ${user.username}`,
      onclick: () => showAccount(user, detail, catalog) }, "Manage")],
  ], users, "No users.")), detail));
  main.append(accountInviteForm(catalog));
}

function accountRoleOptions(catalog) {
  return catalog.job_roles.map((role) => [role, plain(role) + (catalog.two_person_roles.includes(role) ? " (two administrators)" : "")]);
}

function accountInviteForm(catalog) {
  const form = h("form", { class: "panel", id: "invite-form", "aria-labelledby": "invite-title" },
    h("h2", { id: "invite-title" }, "Invite a user"),
    h("p", { class: "hint" }, "Cognito creates the account and e-mails a temporary password. At first sign-in the person sets their own password and enrols an authenticator app. Before they can use ALPR data, record their training and approve them (policy 428.3.1)."),
    h("div", { class: "fields" },
      field("Username", h("input", { name: "username", id: "invite-username", required: true, autocomplete: "off",
        pattern: "[a-z0-9][a-z0-9._\\-]{2,63}" }), "lowercase, e.g. j.rivera"),
      field("Work e-mail", h("input", { name: "email", id: "invite-email", type: "email", required: true, autocomplete: "off" })),
      field("Role", select("role", accountRoleOptions(catalog), { id: "invite-role" }), "One role per person, from policy 428.3.1(a)"),
      h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "supervisor", id: "invite-supervisor" }),
        " Supervisor: may approve other officers' extended searches")),
      field("Agency", h("input", { name: "agency", id: "invite-agency", placeholder: "this department", autocomplete: "off" }), "For a vendor representative: their company"),
      accountReasonField("invite-reason")),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "invite" }, "Invite")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.supervisor = form.querySelector("#invite-supervisor").checked;
    if (!data.agency) delete data.agency;
    const done = await guarded(() => api("POST", "admin/users", data), form.querySelector("button[type=submit]"));
    if (!done) return;
    say(done.status === "pending"
      ? `${done.username} invited without a role for now: the ${plain(done.pending_change.role)} role waits for a second administrator. Cognito e-mailed the temporary password.`
      : `${done.username} invited as ${plain(done.role)}${done.bootstrap_exception ? " (you named the second administrator alone: the monthly report lists it)" : ""}. Cognito e-mailed the temporary password.`);
    await render();
  });
  return form;
}

// One user's details and every action on the account, each with its reason.
function showAccount(user, area, catalog) {
  const mine = user.username.toLowerCase() === state.username.toLowerCase();
  const blocks = [h("h2", {}, user.username), accountBadges(user), details([
    ["Role", accountRoleText(user)], ["Agency", user.agency],
    ["State", user.state ? user.state.message : (user.retired ? "retired" : "may use the system")],
    ["Changed outside Platekeeper", user.outside_change || ""],
    ["Invited", user.created_by ? `${when(user.created_at)} by ${user.created_by}` : ""],
    ["Approved", user.approved_at ? `${user.approved_at} by ${user.approved_by}` : "not yet"],
    ["CLETS certification", user.clets_cert_date || "not on record"],
    ["Vendor training", user.vendor_training_date || "not on record"],
    ["Police Training Unit training", user.training_date || "not on record"],
    ["Next to lapse", accountExpiryText(user)],
    ["Authenticator", user.mfa_enabled ? "enrolled" : "not enrolled"],
    ["Last access", when(user.last_access) || "never"],
  ])];
  if (user.pending_change) blocks.push(accountPendingPanel(user, mine));
  if (!user.registered && user.user_id) {
    blocks.push(accountActionForm(user, "retire", "Retire",
      "This account was not created through Platekeeper. Retire it, and invite the person properly if they need access.",
      (data) => api("POST", `admin/users/${encodeURIComponent(user.username)}/retirement`, data), `${user.username} retired.`, true));
  } else if (!user.user_id && !user.retired) {
    blocks.push(h("p", { class: "notice error" }, "Cognito no longer has this account. Platekeeper never deletes accounts: ask who did (the monthly report names it)."));
  } else if (!user.retired && !user.pending_change) {
    if (user.outside_change) blocks.push(accountActionForm(user, "restore", "Put Cognito back",
      `Set Cognito back to what Platekeeper decided (${accountRoleText(user)}). It never enables an account.`,
      (data) => api("POST", `admin/users/${encodeURIComponent(user.username)}/restoration`, data),
      "Cognito now agrees with Platekeeper."));
    blocks.push(accountRoleForm(user, catalog));
    if (!mine) blocks.push(accountApprovalForm(user), accountTrainingForm(user));
    else blocks.push(h("p", { class: "hint", id: "own-account" }, "Another administrator records your own approval and training."));
    blocks.push(user.enabled
      ? accountActionForm(user, "disable", "Disable", "Disable the account now. It can be enabled again.",
        (data) => api("PUT", `admin/users/${encodeURIComponent(user.username)}/enabled`, { ...data, enabled: false }), `${user.username} disabled.`, true)
      : accountActionForm(user, "enable", "Enable", "Enable the account again.",
        (data) => api("PUT", `admin/users/${encodeURIComponent(user.username)}/enabled`, { ...data, enabled: true }), `${user.username} enabled.`));
    if (user.invited) blocks.push(accountActionForm(user, "resend", "Send a new temporary password",
      "Cognito's temporary passwords expire after a few days; this e-mails a new one.",
      (data) => api("POST", `admin/users/${encodeURIComponent(user.username)}/invitation`, data), "A new temporary password was e-mailed."));
    blocks.push(accountActionForm(user, "retire", "Retire",
      "Retire: the account is disabled for good and loses its role; it is never deleted (the access record keeps pointing at it)."
        + (catalog.two_person_roles.includes(user.role) ? " An administrator's or auditor's retirement waits for a second administrator." : ""),
      (data) => api("POST", `admin/users/${encodeURIComponent(user.username)}/retirement`, data),
      null, true));
  }
  area.replaceChildren(h("div", { class: "panel", id: "user-panel" }, blocks));
}

function accountPendingPanel(user, mine) {
  const change = user.pending_change;
  const ownProposal = change.proposed_by.toLowerCase() === state.username.toLowerCase();
  const what = change.kind === "retirement" ? "retire this account" : `make this account ${plain(change.role)}${change.supervisor ? " (supervisor)" : ""}`;
  const reason = h("textarea", { name: "reason", id: "pending-reason", maxlength: 200 });
  const confirmButton = h("button", { type: "button", id: "confirm-change", disabled: ownProposal || mine }, "Confirm");
  const declineButton = h("button", { type: "button", class: "danger", id: "decline-change" }, ownProposal ? "Withdraw" : "Decline");
  const act = async (path, button, question, done) => {
    if (path === "decline" && !reason.value.trim()) { say("Write the reason first; it is kept on file.", "error"); reason.focus(); return; }
    if (!(await confirmDialog(question, button.textContent))) return;
    const body = reason.value.trim() ? { reason: reason.value } : {};
    const result = await guarded(() => api("POST", `admin/users/${encodeURIComponent(user.username)}/pending-change/${path}`, body), button);
    if (result) { say(done); await render(); }
  };
  confirmButton.addEventListener("click", () => act("confirmation", confirmButton,
    `Confirm: ${what}? ${change.proposed_by} proposed it: "${change.reason}".`, `Confirmed: ${user.username} changed.`));
  declineButton.addEventListener("click", () => act("decline", declineButton,
    `Decline the proposal to ${what}? It never takes effect.`, "Proposal declined."));
  return h("div", { class: "panel", id: "pending-panel" }, h("h3", {}, "Waiting for a second administrator"),
    details([["Proposed", `${what}, by ${change.proposed_by}, ${when(change.proposed_at)}`], ["Reason", change.reason]]),
    ownProposal ? h("p", { class: "hint", id: "own-change" }, "You proposed this change: a second administrator must confirm it (two-person rule).")
      : mine ? h("p", { class: "hint" }, "This change is to your own account: another administrator must confirm it.") : "",
    field("Reason (to decline; optional to confirm)", reason), h("div", { class: "actions" }, confirmButton, declineButton));
}

function accountRoleForm(user, catalog) {
  const form = h("form", { class: "panel", id: "role-form" }, h("h3", {}, "Role"),
    h("div", { class: "fields" },
      field("Role", select("role", accountRoleOptions(catalog), { id: "role-select" })),
      h("div", { class: "field" }, h("label", { class: "check" }, h("input", { type: "checkbox", name: "supervisor", id: "role-supervisor", checked: user.supervisor }),
        " Supervisor")),
      accountReasonField("role-reason")),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "change-role" }, "Change role")));
  form.querySelector("#role-select").value = user.role || catalog.job_roles[0];
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    data.supervisor = form.querySelector("#role-supervisor").checked;
    const done = await guarded(() => api("PUT", `admin/users/${encodeURIComponent(user.username)}/role`, data), form.querySelector("button"));
    if (!done) return;
    say(done.status === "pending" ? `Proposed: ${user.username} as ${plain(data.role)}. A second administrator must confirm it.`
      : `${user.username} is now ${plain(done.role)}${done.bootstrap_exception ? " (named alone under the bootstrap exception: the monthly report lists it)" : ""}.`);
    await render();
  });
  return form;
}

function accountApprovalForm(user) {
  const idle = user.state && user.state.code === "ACCOUNT_IDLE";
  return accountActionForm(user, "approve", idle ? "Re-approve (idle)" : user.approved_at ? "Approve again" : "Approve",
    idle ? "Unused for more than 90 days: re-approve if the person still needs access; the approval restarts the idle clock."
      : "Approval by the Administrative Services Division Commander or designee (policy 428.3.1(a)).",
    (data) => api("POST", `admin/users/${encodeURIComponent(user.username)}/approval`, data), `${user.username} approved.`);
}

function accountTrainingForm(user) {
  const today = new Date().toISOString().slice(0, 10);
  const form = h("form", { class: "panel", id: "training-form" }, h("h3", {}, "Training (policy 428.3.1(b))"),
    h("div", { class: "fields" },
      field("CLETS certification", h("input", { type: "date", name: "clets_cert_date", id: "clets-date", max: today, value: user.clets_cert_date || "" }), "Renewed every two years"),
      field("Vendor training", h("input", { type: "date", name: "vendor_training_date", id: "vendor-date", max: today, value: user.vendor_training_date || "" })),
      field("Police Training Unit training", h("input", { type: "date", name: "training_date", id: "ptu-date", max: today, value: user.training_date || "" })),
      field("Note (optional)", h("input", { name: "reason", id: "training-reason", maxlength: 200 }))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "record-training" }, "Record training")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries([...new FormData(form)].filter(([, value]) => value));
    const done = await guarded(() => api("PUT", `admin/users/${encodeURIComponent(user.username)}/training`, data), form.querySelector("button"));
    if (done) { say(`Training recorded for ${user.username}.`); await render(); }
  });
  return form;
}

// A form with a reason and one button; `send(data)` makes the call.
function accountActionForm(user, id, label, hint, send, done, dangerous) {
  const form = h("form", { class: "panel", id: `${id}-form` }, h("h3", {}, label), h("p", { class: "hint" }, hint),
    accountReasonField(`${id}-reason`),
    h("div", { class: "actions" }, h("button", { type: "submit", id: `${id}-user`, class: dangerous ? "danger" : null }, label)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (dangerous && !(await confirmDialog(`${label} ${user.username}? ${hint}`, label))) return;
    const result = await guarded(() => send(data), form.querySelector("button"));
    if (!result) return;
    say(done || (result.status === "pending" ? `Proposed: a second administrator must confirm it.` : `${user.username}: done.`));
    await render();
  });
  return form;
}
