// Platekeeper console: cameras. The status page (system_status: administrators, auditors and the
// vendor representative) shows each camera's health with no plate data; the cameras page
// (manage_cameras) registers, rotates, revokes and switches cameras. Values go in as text.
"use strict";

function ratio(value) { return value === null || value === undefined ? "-" : `${(value * 100).toFixed(1)}%`; }

function stateBadge(state) {
  return badge({ online: "approved", offline: "denied", not_monitored: "routed" }[state] || "routed", state);
}

// Frames per hour as bars, hotlist hits as dots above them: the last `hours` hours at a glance.
function hourlyChart(camera) {
  const rows = camera.hourly || [];
  const width = 168;
  const height = 36;
  const most = Math.max(1, ...rows.map((row) => row.frames));
  const step = rows.length ? width / rows.length : width;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img",
    "aria-label": `${camera.name || camera.camera_id}: frames per hour over ${camera.window_hours} hours, most ${most}` });
  rows.forEach((row, index) => {
    const bar = Math.round((row.frames / most) * (height - 6));
    chart.append(svg("rect", { x: index * step, y: height - bar, width: Math.max(1, step - 1), height: bar,
      class: row.rejected ? "bar rejected" : "bar" }, svg("title", {},
      `${row.hour}: ${row.frames} frames, ${row.reads} reads, ${row.rejected} rejected, ${row.hits} hits`)));
    if (row.hits) chart.append(svg("circle", { cx: index * step + step / 2, cy: 3, r: 2, class: "hit" }));
  });
  return chart;
}

async function cameraStatusPage(main) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const hours = ["24", "72", "168"].includes(params.get("hours")) ? params.get("hours") : "24";
  const found = await guarded(() => api("GET", `system/status?hours=${hours}`));
  if (!found) return;
  const health = found.camera_health || [];
  const states = found.cameras.by_state || {};
  const offline = health.filter((camera) => camera.state === "offline");
  main.append(
    h("div", { class: "tabs", role: "group", "aria-label": "Window" },
      [["24", "24 hours"], ["72", "3 days"], ["168", "7 days"]].map(([value, text]) => h("button", {
        type: "button", class: "secondary", "aria-pressed": String(value === hours),
        onclick: () => { location.hash = `#/status?hours=${value}`; } }, text))),
    offline.length ? h("p", { class: "notice error", id: "offline-banner" },
      `${offline.length} camera${offline.length === 1 ? " is" : "s are"} offline: `,
      offline.map((camera) => `${camera.name || camera.camera_id} (silent ${camera.silent_minutes} min)`).join(", "))
      : h("p", { class: "notice ok", id: "offline-banner" }, "Every watched camera is sending frames."),
    details([["Cameras", `${found.cameras.registered} registered, ${found.cameras.active} active, ${found.cameras.credential_revoked} revoked`],
      ["By state", `${states.online || 0} online, ${states.offline || 0} offline, ${states.not_monitored || 0} not watched`],
      ["Ingest", `${found.ingest.waiting} frames waiting, ${found.ingest.dead_letters} dead letters`],
      ["Access record", `${found.access_record.records} records, last at ${when(found.access_record.last_record_at)}`],
      ["Last monthly audit", found.last_monthly_audit ? `${found.last_monthly_audit.month} (built ${when(found.last_monthly_audit.generated_at)})` : "none yet"],
      ["As of", when(found.generated_at)]]),
    h("h2", {}, "Cameras"),
    h("div", { id: "camera-health" }, table([
      ["Camera", (c) => h("span", {}, h("strong", {}, c.name || c.camera_id), h("br"), h("code", {}, c.camera_id))],
      ["Status", (c) => stateBadge(c.state)],
      ["Last frame", (c) => (c.last_frame_at ? when(c.last_frame_at) : "never")],
      ["Silent", (c) => (c.silent_minutes === null ? "" : `${c.silent_minutes} min`)],
      ["Expected every", (c) => (c.expected_interval_minutes ? `${c.expected_interval_minutes} min` : "not watched")],
      ["Frames/h", (c) => c.frames_per_hour], ["Reads/h", (c) => c.reads_per_hour],
      ["No-read", (c) => ratio(c.no_read_ratio)], ["Rejected", (c) => c.totals.rejected],
      ["Hits", (c) => c.totals.hits], ["Hit ratio", (c) => ratio(c.hit_ratio)],
      ["Last hours", (c) => hourlyChart(c)],
    ], health, "No cameras registered.")),
    h("p", { class: "hint" }, "Bars: frames per hour (red: some uploads refused); dots: hotlist hits. A camera silent longer than its expected interval is offline; the administrators get one notice when it goes silent and one when it is back."));
}

// ---------------------------------------------------------------- managing cameras

function credentialNotice(camera, what) {
  return h("div", { class: "notice ok", id: "credential-once" },
    h("strong", {}, `${what} for ${camera.name || camera.camera_id}. `),
    "Copy it into the camera now: it is shown this once and cannot be read back. ",
    h("code", { id: "credential-value" }, camera.credential));
}

async function camerasPage(main) {
  const [found, status] = await Promise.all([guarded(() => api("GET", "admin/cameras")),
    can("system_status") ? guarded(() => api("GET", "system/status")) : Promise.resolve(null)]);
  if (!found) return;
  const health = new Map(((status && status.camera_health) || []).map((c) => [c.camera_id, c]));
  const out = h("div", { id: "camera-result", "aria-live": "polite" });
  const act = async (camera, path, method, body, question, okLabel, button) => {
    if (question && !(await confirmDialog(question, okLabel))) return;
    const done = await guarded(() => api(method, `admin/cameras/${camera.camera_id}/${path}`, body), button);
    if (!done) return;
    await render();
    const area = document.getElementById("camera-result");
    if (done.credential && area) area.replaceChildren(credentialNotice(done, "New credential"));
    else say(`${done.name || done.camera_id}: saved.`);
  };
  const actions = (camera) => {
    const interval = h("input", { type: "number", min: 1, max: 1440, value: camera.expected_interval_minutes || "",
      "aria-label": `Expected interval in minutes for ${camera.camera_id}`, class: "narrow", placeholder: "min" });
    return h("span", { class: "actions compact" },
      h("button", { type: "button", class: "secondary", "aria-label": `Rotate credential of ${camera.camera_id}`,
        disabled: camera.revoked, onclick: (event) => act(camera, "credential", "POST", undefined,
          `Issue a new credential for ${camera.camera_id}? The old one stops working at once.`, "Rotate", event.target) }, "Rotate"),
      h("button", { type: "button", class: "danger", "aria-label": `Revoke credential of ${camera.camera_id}`,
        disabled: camera.revoked, onclick: (event) => act(camera, "revocation", "POST", undefined,
          `Revoke the credential of ${camera.camera_id}? Its uploads are refused until you rotate a new one.`, "Revoke", event.target) }, "Revoke"),
      h("button", { type: "button", class: "secondary", "aria-label": `${camera.active ? "Deactivate" : "Activate"} ${camera.camera_id}`,
        onclick: (event) => act(camera, "active", "PUT", { active: !camera.active },
          camera.active ? `Deactivate ${camera.camera_id}? It may not upload while off.` : null, "Deactivate", event.target) },
      camera.active ? "Deactivate" : "Activate"),
      interval,
      h("button", { type: "button", class: "secondary", "aria-label": `Save interval of ${camera.camera_id}`,
        onclick: (event) => act(camera, "expected-interval", "PUT",
          { expected_interval_minutes: interval.value ? Number(interval.value) : null }, null, "", event.target) }, "Save interval"));
  };
  const form = h("form", { class: "panel", id: "register-camera", "aria-labelledby": "register-title" },
    h("h2", { id: "register-title" }, "Register a camera"),
    h("div", { class: "fields" },
      field("Camera id", h("input", { name: "camera_id", required: true, autocomplete: "off", pattern: "[a-z0-9][a-z0-9-]{0,62}" }), "lower-case letters, digits and dashes"),
      field("Name", h("input", { name: "name", required: true }), "where it is, as people say it"),
      field("Kind", select("kind", [["fixed", "Fixed"], ["mobile", "Mobile (patrol car)"]])),
      field("Latitude", h("input", { name: "lat", type: "number", step: "any", min: -90, max: 90 })),
      field("Longitude", h("input", { name: "lon", type: "number", step: "any", min: -180, max: 180 })),
      field("Heading", h("input", { name: "heading", type: "number", min: 0, max: 359.9, step: "any" }), "degrees the camera faces, 0 = north")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Register")));
  // A fixed camera stands somewhere (position and heading required); a mobile one reports its
  // position with each upload and stores none.
  const place = () => {
    const mobile = form.querySelector("#kind").value === "mobile";
    for (const name of ["lat", "lon", "heading"]) {
      const input = form.querySelector(`input[name=${name}]`);
      input.disabled = mobile;
      input.required = !mobile;
      if (mobile) input.value = "";
    }
  };
  form.querySelector("#kind").addEventListener("change", place);
  place();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { camera_id: String(data.get("camera_id")).trim(), name: String(data.get("name")).trim(),
      kind: form.querySelector("#kind").value };
    for (const name of ["lat", "lon", "heading"]) if (data.get(name)) body[name] = Number(data.get(name));
    const made = await guarded(() => api("POST", "admin/cameras", body), form.querySelector("button"));
    if (!made) return;
    await render();
    document.getElementById("camera-result").replaceChildren(credentialNotice(made, "Registered"));
  });
  main.append(out, h("div", { id: "camera-list" }, table([
    ["Camera", (c) => h("span", {}, h("strong", {}, c.name), h("br"), h("code", {}, c.camera_id))],
    ["Kind", (c) => plain(c.kind)],
    ["Position", (c) => (c.lat === null || c.lat === undefined ? "" : `${c.lat}, ${c.lon}`)],
    ["Health", (c) => (health.has(c.camera_id) ? h("span", {}, stateBadge(health.get(c.camera_id).state), " ",
      hourlyChart(health.get(c.camera_id))) : "")],
    ["Credential", (c) => (c.revoked ? badge("denied", "revoked") : h("span", {}, badge("approved", "valid"), " ",
      h("span", { class: "hint" }, `since ${when(c.rotated_at || c.created_at)}`)))],
    ["On", (c) => (c.active ? "yes" : "no")],
    ["", actions],
  ], found.cameras, "No cameras yet.")), form);
}
