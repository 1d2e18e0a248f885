// Platekeeper console: what a read looks like. The frame with the plate's box drawn over it and
// the crop, shown inline from their five-minute links; where the cameras stand, as a small plot
// (map tiles only when the deployment names a tile server); reads picked from results for a hold.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// The frame, and over it an SVG in the frame's own pixels with the box [x, y, w, h]: the box
// stays on the plate whatever size the frame is shown at.
function frameWithBox(url, box, label) {
  const image = h("img", { src: url, alt: label, class: "frame-image" });
  const overlay = svg("svg", { class: "frame-box", "aria-hidden": "true", preserveAspectRatio: "none",
    viewBox: "0 0 1 1" });
  const wrap = h("figure", { class: "frame" }, image, overlay);
  image.addEventListener("load", () => {
    overlay.setAttribute("viewBox", `0 0 ${image.naturalWidth} ${image.naturalHeight}`);
    if (box && box.length === 4 && box[2] > 0 && box[3] > 0) {
      const stroke = Math.max(2, Math.round(image.naturalWidth / 300));
      overlay.replaceChildren(svg("rect", { x: box[0], y: box[1], width: box[2], height: box[3],
        class: "plate-box", "stroke-width": stroke }));
      wrap.dataset.boxDrawn = "yes";
    }
  });
  image.addEventListener("error", () => {
    wrap.replaceChildren(h("p", { class: "hint" }, "The frame could not be loaded (the link lasts five minutes; open the read again)."));
  });
  return wrap;
}

// ---------------------------------------------------------------- camera positions

let positionsCache = null;

async function cameraPositions() {
  if (!positionsCache) positionsCache = await api("GET", "cameras/positions");
  return positionsCache;
}

function cameraPlace(camera) {
  if (!camera) return "";
  const where = camera.kind === "mobile" ? "mobile camera"
    : (camera.lat !== null && camera.lat !== undefined ? `${Number(camera.lat).toFixed(4)}, ${Number(camera.lon).toFixed(4)}` : "");
  return [camera.name || camera.camera_id, where].filter(Boolean).join(" - ");
}

// Web Mercator (what XYZ tile servers use): pixel position at zoom z, tiles of 256 pixels.
function mercator(lat, lon, zoom) {
  const scale = 256 * 2 ** zoom;
  const sin = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * scale, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale];
}

// Fixed cameras as dots (those in the results marked, with the number of reads), in a box of
// width x height pixels; a mobile camera has no fixed place and is listed under the plot.
function cameraPlot(positions, readsByCamera) {
  const width = 420;
  const height = 260;
  const fixed = positions.cameras.filter((c) => c.lat !== null && c.lat !== undefined && c.kind !== "mobile");
  const figure = h("figure", { class: "camera-plot", id: "camera-plot" });
  if (!fixed.length) { figure.append(h("p", { class: "hint" }, "No fixed camera has a position.")); return figure; }
  let zoom = 17;
  let points = [];
  for (; zoom >= 1; zoom -= 1) {  // the closest zoom that fits every camera, with a margin
    points = fixed.map((c) => mercator(c.lat, c.lon, zoom));
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    if (Math.max(...xs) - Math.min(...xs) <= width - 60 && Math.max(...ys) - Math.min(...ys) <= height - 60) break;
  }
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const left = (Math.max(...xs) + Math.min(...xs)) / 2 - width / 2;
  const top = (Math.max(...ys) + Math.min(...ys)) / 2 - height / 2;
  const plot = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Positions of ${fixed.length} cameras` });
  plot.append(svg("rect", { x: 0, y: 0, width, height, class: "plot-ground" }));
  if (positions.map_tile_url) {
    for (let tx = Math.floor(left / 256); tx <= Math.floor((left + width) / 256); tx += 1) {
      for (let ty = Math.floor(top / 256); ty <= Math.floor((top + height) / 256); ty += 1) {
        const href = positions.map_tile_url.replace("{z}", zoom).replace("{x}", tx).replace("{y}", ty);
        plot.append(svg("image", { href, x: tx * 256 - left, y: ty * 256 - top, width: 256, height: 256 }));
      }
    }
  }
  fixed.forEach((camera, index) => {
    const [x, y] = [points[index][0] - left, points[index][1] - top];
    const reads = readsByCamera.get(camera.camera_id) || 0;
    plot.append(svg("g", { class: reads ? "cam hit" : "cam", "data-camera": camera.camera_id },
      svg("title", {}, `${cameraPlace(camera)}${reads ? `: ${reads} reads in these results` : ""}`),
      svg("circle", { cx: x, cy: y, r: reads ? 7 : 4 }),
      svg("text", x > width * 0.55 ? { x: x - 9, y: y + 4, "text-anchor": "end" } : { x: x + 9, y: y + 4 },
        reads ? `${camera.name || camera.camera_id} (${reads})` : "")));
  });
  const mobile = positions.cameras.filter((c) => c.kind === "mobile" && readsByCamera.get(c.camera_id));
  figure.append(plot, h("figcaption", { class: "hint" },
    "Where the cameras stand; the marked ones took reads in these results.",
    positions.map_tile_url ? "" : " (No map tiles: none is configured for this deployment.)",
    mobile.length ? ` Mobile cameras in the results: ${mobile.map((c) => c.name || c.camera_id).join(", ")}.` : ""));
  return figure;
}

// ---------------------------------------------------------------- the read view

async function showRead(readId, query, area) {
  const params = new URLSearchParams({ purpose: query.purpose, case_number: query.case_number });
  const read = await guarded(() => api("GET", `reads/${readId}?${params}`));
  if (!read) return;
  const positions = await cameraPositions().catch(() => ({ cameras: [] }));
  const camera = positions.cameras.find((c) => c.camera_id === read.camera_id);
  area.replaceChildren(h("div", { class: "panel" }, h("h2", {}, `Read ${read.plate}`),
    h("div", { class: "read-images" },
      frameWithBox(read.image_url, read.box, `Frame of the read of ${read.plate}`),
      read.crop_url ? h("img", { src: read.crop_url, class: "crop", alt: `Plate crop of ${read.plate}` }) : ""),
    details([["Seen", when(read.captured_at)], ["Camera", cameraPlace(camera) || read.camera_id],
      ["Read at", read.lat !== null && read.lat !== undefined ? `${Number(read.lat).toFixed(5)}, ${Number(read.lon).toFixed(5)}` : ""],
      ["State", read.state ? `${read.state} (${Math.round(read.state_confidence * 100)}% sure)` : "not read"],
      ["Other readings", read.candidates.map((c) => c.text).join(", ")],
      ["Images", `shown from links valid ${Math.round(read.urls_expire_in / 60)} min`]]),
    h("p", { class: "hint" }, "Verify any hit through CLETS before acting on it (policy 428.4(f)).")));
}

// ---------------------------------------------------------------- a hold for selected reads

function selectBox(read) {
  return h("input", { type: "checkbox", name: "select-read", value: read.read_id,
    "aria-label": `Select the read of ${read.plate} at ${when(read.captured_at)}` });
}

function holdRequestForm(results, caseNumber) {
  const count = h("span", { id: "selected-count" }, "0 reads selected");
  const form = h("form", { class: "panel", id: "hold-request", "aria-labelledby": "hold-request-title" },
    h("h2", { id: "hold-request-title" }, "Ask for a hold on the selected reads"),
    h("p", { class: "hint" }, "Held reads are kept past the retention period for the case. An administrator approves the request (not you)."),
    count,
    h("div", { class: "fields" },
      field("Case (for the hold)", h("input", { name: "case_number", id: "hold-case", required: true, value: caseNumber || "" })),
      field("Reason", select("hold-reason", [["evidence", "Evidence"], ["discovery_request", "Discovery request"],
        ["litigation", "Litigation"], ["other_lawful_action", "Other lawful action"]])),
      field("Review date", h("input", { name: "review_date", id: "hold-review", type: "date", required: true })),
      field("Note", h("input", { name: "note", id: "hold-note", maxlength: 500 }))),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "request-hold" }, "Request hold")));
  const selected = () => [...results.querySelectorAll("input[name=select-read]:checked")].map((box) => box.value);
  results.addEventListener("change", () => { count.textContent = `${selected().length} reads selected`; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = selected();
    if (!ids.length) { say("Select the reads to hold in the results first.", "error"); return; }
    const data = new FormData(form);
    const ask = await guarded(() => api("POST", "holds/requests", { read_ids: ids,
      case_number: String(data.get("case_number")).trim(), reason: form.querySelector("#hold-reason").value,
      review_date: data.get("review_date"), note: String(data.get("note") || "") }), form.querySelector("button"));
    if (ask) say(`Hold requested for ${ask.read_ids.length} reads; an administrator will review it.`);
  });
  return form;
}
