// Platekeeper console: alerts as they happen. The page lists what is open, then follows the
// API's long poll (GET alerts/live) so new hits appear without a reload; a high-priority hit plays
// a tone even when the rest is muted. Every value goes in as text (see app.js).
"use strict";

const LIVE_WAIT_SECONDS = 20;
const MUTE_KEY = "pk.mute-below-high";
// How many tones the page has played, by level: the browser tests read it, and a person can see
// it in the status line ("2 high-priority tones played").
const cues = { high: 0, normal: 0 };
const cameraNames = new Map();

function muted() { return localStorage.getItem(MUTE_KEY) === "yes"; }

// A short tone made by the browser itself (Web Audio): no sound file, nothing to fetch. High
// priority: three rising beeps; normal: one soft beep, and none when muted.
let audio = null;
function playCue(level) {
  if (level !== "high" && muted()) return;
  cues[level === "high" ? "high" : "normal"] += 1;
  const line = document.getElementById("cue-status");
  if (line) line.textContent = `${cues.high} high-priority tones played; ${cues.normal} other tones.`;
  const region = document.getElementById("live-alerts");
  if (region) region.dataset.cuesHigh = String(cues.high);
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const beeps = level === "high" ? [880, 988, 1175] : [660];
    beeps.forEach((frequency, index) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.value = level === "high" ? 0.25 : 0.08;
      tone.connect(gain).connect(audio.destination);
      const start = audio.currentTime + index * 0.22;
      tone.start(start);
      tone.stop(start + 0.16);
    });
  } catch (error) { /* no audio device: the banner still shows */ }
}

async function liveAlertsPage(main) {
  const seq = renderSeq;
  const mute = h("input", { type: "checkbox", id: "mute", checked: muted() });
  mute.addEventListener("change", () => localStorage.setItem(MUTE_KEY, mute.checked ? "yes" : "no"));
  const list = h("div", { id: "live-alerts", class: "alert-list", "aria-live": "polite",
    "data-cues-high": String(cues.high) });
  const status = h("p", { class: "hint", id: "live-status" }, "Connecting to the live feed...");
  main.append(
    h("p", { class: "notice prohibited", id: "clets-reminder" },
      "An alert is not probable cause. Verify every hit through CLETS before any action (policy 428.4(f))."),
    h("div", { class: "live-bar" },
      h("label", { class: "inline" }, mute, "Mute all but high priority"),
      status, h("span", { class: "hint", id: "cue-status" })),
    list);
  const [found, positions] = await Promise.all([guarded(() => api("GET", "alerts?limit=100")),
    can("search_reads") ? cameraPositions().catch(() => null) : Promise.resolve(null)]);
  if (!found) return;
  if (positions) for (const camera of positions.cameras) cameraNames.set(camera.camera_id, cameraPlace(camera));
  if (!found.alerts.length) list.append(h("p", { class: "empty", id: "no-alerts" }, "No open alerts."));
  for (const alert of found.alerts) list.append(alertCard(alert, false));
  if (can("view_alerts")) main.append(await subscriptionsPanel());
  followLive(seq, list, status);
}

// One long poll after another while this page is the one shown; a failure waits and retries.
async function followLive(seq, list, status) {
  let token = null;
  let failures = 0;
  const current = () => seq === renderSeq && state.token;
  while (current()) {
    try {
      const query = new URLSearchParams({ wait: String(LIVE_WAIT_SECONDS) });
      if (token) query.set("after", token);
      const page = await api("GET", `alerts/live?${query}`);
      if (!current()) return;
      token = page.after;
      failures = 0;
      status.textContent = `Live: new alerts appear here as they happen (checked ${new Date().toLocaleTimeString()}).`;
      for (const alert of page.alerts) {
        if (list.querySelector(`[data-alert-id="${CSS.escape(alert.alert_id)}"]`)) continue;
        const empty = list.querySelector("#no-alerts");
        if (empty) empty.remove();
        list.prepend(alertCard(alert, true));
        playCue(alert.level);
      }
    } catch (error) {
      if (!current()) return;
      failures += 1;
      status.textContent = `The live feed is interrupted (${error.message}); retrying.`;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30000, 2000 * failures)));
    }
  }
}

function alertCard(alert, fresh) {
  const high = alert.level === "high";
  const images = alert.images || null;
  return h("article", { class: `alert-card ${high ? "high" : ""} ${fresh ? "fresh" : ""}`,
    "data-alert-id": alert.alert_id, "aria-label": `Alert ${alert.plate}` },
    h("header", {},
      h("strong", { class: "plate" }, alert.plate),
      badge(high ? "denied" : "routed", high ? "high priority" : "normal"),
      fresh ? badge("pending", "new") : "",
      alert.state_mismatch ? h("strong", { class: "warning" },
        ` STATE MISMATCH: read ${alert.read_state}, entry ${alert.entry_state}`) : ""),
    h("div", { class: "alert-body" },
      h("div", { class: "alert-images" },
        images ? frameWithBox(images.frame_url, images.box, `Frame of ${alert.plate}`) : h("p", { class: "hint" }, "Images no longer kept."),
        images && images.crop_url ? h("img", { src: images.crop_url, class: "crop", alt: `Plate crop of ${alert.plate}` }) : ""),
      h("div", {},
        details([["Seen", when(alert.captured_at)], ["Camera", cameraNames.get(alert.camera_id) || alert.camera_id],
          ["Hotlist entry", `${alert.entry_plate} ${alert.entry_state}`.trim()],
          ["Category", plain(alert.category)], ["Match", plain(alert.match)],
          ["Case", alert.case_number], ["Instruction", alert.instruction],
          ["Image links", images ? `valid ${Math.round(images.expires_in / 60)} min` : ""]]),
        can("dispose_alert") ? dispositionForm(alert) : "")));
}

// No default: the officer picks an outcome, and "confirmed" needs the CLETS box ticked (the API
// refuses it otherwise, and records the refusal).
function dispositionForm(alert) {
  const id = alert.alert_id;
  const choice = select(`disposition-${id}`, [["", "Choose the outcome..."], ["confirmed", "Confirmed"],
    ["misread", "Misread"], ["wrong_state", "Wrong state"], ["dismissed", "Dismissed"]],
  { required: true });
  const clets = h("input", { type: "checkbox", name: "clets_verified", id: `clets-${id}` });
  const cletsLabel = h("label", { class: "check clets", hidden: true },
    clets, "I verified this hit through CLETS (the vehicle's current status), as policy 428.4(f) requires.");
  choice.addEventListener("change", () => { cletsLabel.hidden = choice.value !== "confirmed"; });
  const note = h("input", { name: "note", id: `note-${id}`, maxlength: 500 });
  const button = h("button", { type: "button" }, "Record disposition");
  button.addEventListener("click", async () => {
    if (!choice.value) { say("Choose the outcome first: there is no default.", "error"); choice.focus(); return; }
    if (choice.value === "confirmed" && !clets.checked) {
      say("Tick that you verified the hit through CLETS before recording it as confirmed.", "error");
      clets.focus();
      return;
    }
    if (!(await confirmDialog(`Record "${plain(choice.value)}" for ${alert.plate}?`, "Record"))) return;
    const done = await guarded(() => api("POST", `alerts/${id}/disposition`,
      { disposition: choice.value, note: note.value, clets_verified: clets.checked }), button);
    if (done) {
      say(`Disposition recorded for ${alert.plate}: ${plain(choice.value)}.`);
      const card = button.closest(".alert-card");
      if (card) card.remove();
    }
  });
  return h("form", { class: "disposition", "aria-label": `Disposition for ${alert.plate}`,
    onsubmit: (event) => event.preventDefault() },
  h("div", { class: "fields" },
    field("Disposition", choice), field("Note", note)),
  cletsLabel, h("div", { class: "actions" }, button));
}

// ---------------------------------------------------------------- high-priority subscriptions

async function subscriptionsPanel() {
  const panel = h("section", { class: "panel", id: "subscriptions", "aria-labelledby": "subs-title" },
    h("h2", { id: "subs-title" }, "High-priority alerts by e-mail or text message"),
    h("p", { class: "hint" }, "The message says only that a high-priority alert is waiting and to open the console: no plate, place or case leaves the system this way."));
  const found = await guarded(() => api("GET", "alerts/subscriptions"));
  if (!found) return panel;
  const remove = async (item, button) => {
    if (!(await confirmDialog(`Stop sending high-priority notices to ${item.endpoint}?`, "Remove"))) return;
    const done = await guarded(() => api("POST", `alerts/subscriptions/${item.subscription_id}/removal`), button);
    if (done) { say("Subscription removed."); render(); }
  };
  const protocol = select("protocol", [["email", "E-mail"], ["sms", "Text message (SMS)"]]);
  const endpoint = h("input", { name: "endpoint", id: "endpoint", required: true, autocomplete: "off" });
  const form = h("form", { id: "subscribe-form" },
    h("div", { class: "fields" }, field("Send by", protocol),
      field("Address or number", endpoint, "e-mail address, or phone number as +15551234567")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Subscribe")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const made = await guarded(() => api("POST", "alerts/subscriptions",
      { protocol: protocol.value, endpoint: endpoint.value.trim() }), form.querySelector("button"));
    if (made) { say(`Subscribed ${made.endpoint}.`); render(); }
  });
  panel.append(table([
    ["Sent by", (s) => plain(s.protocol)], ["To", (s) => s.endpoint],
    ["Owner", (s) => s.username || ""], ["Since", (s) => when(s.created_at)],
    ["Confirmed", (s) => (s.pending_confirmation ? "waiting for the link in the first message" : "yes")],
    ["", (s) => h("button", { type: "button", class: "secondary", "aria-label": `Remove ${s.endpoint}`,
      onclick: (event) => remove(s, event.target) }, "Remove")],
  ], found.subscriptions, "No subscriptions."), form);
  return panel;
}
