// The review page: a grid of the shoot by scene and burst, a compare view with synced zoom, keys.
// The server (pyphotoq.review_server) is the record: every key is one request, answered with the
// photo as it now is; other tabs' decisions arrive through /api/changes.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const state = {
  photos: [], byId: new Map(), order: [], current: 0, filter: "all", version: 0,
  compare: false, zoom: null, map: false, undo: [], facts: {},
};
const SYMBOL = { keep: "\u2713 keep", review: "? review", reject: "\u2717 reject", skipped: "\u2013 skipped" };

function api(path, body) {
  const sep = path.includes("?") ? "&" : "?";
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  return fetch(`${path}${sep}token=${encodeURIComponent(token)}`, options).then(async (response) => {
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  });
}
const withToken = (path) => `${path}?token=${encodeURIComponent(token)}`;
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const stars = (r) => (r > 0 ? "\u2605".repeat(r) + "\u2606".repeat(5 - r) : "");

// Key to screen, for the benchmark: ms from a key's event to the frame that shows its effect.
window.photoqTimings = [];
function drawn(key, since) {
  requestAnimationFrame(() => window.photoqTimings.push({ key, ms: performance.now() - since }));
}

function status(text, error) {
  const bar = document.getElementById("status");
  bar.textContent = text;
  bar.className = error ? "error" : "";
}

// ---- the grid ---------------------------------------------------------------------------------

function visible(photo) {
  const f = state.filter;
  if (f === "all") return true;
  if (f === "burst") {
    const here = state.photos[state.current];
    return here && here.burst !== "" && photo.burst === here.burst;
  }
  return photo.decision === f;
}

function tileLine(photo) {
  const score = photo.score === null ? "" : photo.score.toFixed(2);
  const you = photo.by_you ? '<span class="by-you" title="decided by you">you</span>' : "";
  return `<span class="badge ${escapeHtml(photo.decision)}">${SYMBOL[photo.decision] || escapeHtml(photo.decision)}</span>` +
    `<span class="stars">${stars(photo.rating)}</span>${you}<span>${score}</span>`;
}

function drawGrid() {
  const grid = document.getElementById("grid");
  grid.textContent = "";
  state.order = [];
  let scene = null, tiles = null;
  state.photos.forEach((photo, position) => {
    if (!visible(photo)) return;
    if (photo.scene !== scene) {
      scene = photo.scene;
      const block = document.createElement("section");
      block.className = "scene";
      const shots = state.photos.filter((p) => p.scene === scene).length;
      block.innerHTML = `<h2>Scene ${scene + 1} \u00b7 ${shots} shot${shots === 1 ? "" : "s"}</h2>`;
      tiles = document.createElement("div");
      tiles.className = "tiles";
      block.appendChild(tiles);
      grid.appendChild(block);
    }
    const tile = document.createElement("div");
    tile.className = `tile ${photo.decision}`;
    tile.dataset.position = position;
    if (photo.decision === "skipped") {  // not readable when scored: its reason, no picture
      const note = document.createElement("div");
      note.className = "unread";
      note.textContent = photo.reason || photo.rule || "could not be read";
      tile.appendChild(note);
    } else {
      const img = document.createElement("img");
      img.loading = "lazy";
      img.alt = photo.name;
      img.src = withToken(`thumb/${photo.id}`);
      tile.appendChild(img);
    }
    if (photo.burst) {
      const burst = document.createElement("span");
      burst.className = "burst";
      burst.textContent = `burst ${photo.burst}${photo.best ? " \u00b7 photoq's pick" : ""}`;
      tile.appendChild(burst);
    }
    const line = document.createElement("div");
    line.className = "line";
    line.innerHTML = tileLine(photo);
    tile.appendChild(line);
    tile.title = photo.name;
    tile.addEventListener("click", () => { state.current = position; showCurrent(); });
    tile.addEventListener("dblclick", () => { state.current = position; toggleCompare(true); });
    tiles.appendChild(tile);
    state.order.push(position);
  });
  if (!state.order.includes(state.current) && state.order.length) state.current = state.order[0];
  counts();
  showCurrent();
}

function counts() {
  const n = { keep: 0, review: 0, reject: 0 };
  let you = 0;
  for (const p of state.photos) { if (p.decision in n) n[p.decision] += 1; if (p.by_you) you += 1; }
  document.getElementById("counts").textContent =
    `${state.photos.length} photos: ${n.keep} keep \u00b7 ${n.review} review \u00b7 ${n.reject} reject \u00b7 ${you} decided by you`;
  for (const button of document.querySelectorAll("#filters button")) {
    button.classList.toggle("on", button.dataset.filter === state.filter);
  }
}

function tileOf(position) { return document.querySelector(`.tile[data-position="${position}"]`); }

function updateTile(position) {
  const tile = tileOf(position);
  if (!tile) return;
  const photo = state.photos[position];
  tile.className = `tile ${photo.decision}${position === state.current ? " current" : ""}`;
  tile.querySelector(".line").innerHTML = tileLine(photo);
}

function showCurrent() {
  for (const tile of document.querySelectorAll(".tile.current")) tile.classList.remove("current");
  const tile = tileOf(state.current);
  if (tile) {
    tile.classList.add("current");
    tile.scrollIntoView({ block: "nearest" });
  }
  const photo = state.photos[state.current];
  if (photo) {
    const why = photo.reason ? ` \u2014 ${photo.reason}` : "";
    status(`${photo.name}: ${SYMBOL[photo.decision] || photo.decision} ${stars(photo.rating)}${why}`);
  }
  if (state.compare) drawCompare();
}

// ---- moving -----------------------------------------------------------------------------------

function columns() {
  const tiles = [...document.querySelectorAll(".tile")];
  if (tiles.length < 2) return 1;
  const top = tiles[0].offsetTop;
  const n = tiles.findIndex((t) => t.offsetTop !== top);
  return n < 0 ? tiles.length : n;
}

function move(step, key, since) {
  const set = state.compare ? compareSet() : state.order;
  const at = set.indexOf(state.current);
  const next = set[Math.min(set.length - 1, Math.max(0, (at < 0 ? 0 : at) + step))];
  if (next !== undefined) { state.current = next; showCurrent(); }
  if (since !== undefined) drawn(key, since);
}

// ---- decisions --------------------------------------------------------------------------------

function replace(photo) {
  const position = state.byId.get(photo.id);
  if (position === undefined) return;
  state.photos[position] = { ...state.photos[position], ...photo };
  updateTile(position);
  if (state.compare) drawCompare();
}

// Keys are sent one after another (each waits for the answer to the one before), so that what
// Ctrl+Z restores is the photo as the key before left it.
let queue = Promise.resolve();

function decide(key, since) {
  const position = state.current;
  queue = queue.then(() => {
    const photo = state.photos[position];
    if (!photo || photo.decision === "skipped") return null;
    const before = { id: photo.id, decision: photo.decision, rating: photo.rating, pick: photo.pick, rule: photo.rule };
    return api("api/decide", { id: photo.id, key }).then((answer) => {
      state.undo.push(before);
      replace(answer);
      state.version = Math.max(state.version, answer.version);
      counts();
      showCurrent();
      if (since !== undefined) drawn(key, since);
      if (answer.problem) status(`Sidecar not written: ${answer.problem}`, true);
    }).catch((error) => status(`Not saved: ${error.message}`, true));
  });
}

function undo() {
  queue = queue.then(() => {
    const last = state.undo.pop();
    if (!last) { status("Nothing to undo"); return null; }
    return api("api/restore", last).then((answer) => {
      replace(answer);
      state.current = state.byId.get(answer.id);
      counts();
      showCurrent();
    }).catch((error) => status(`Not undone: ${error.message}`, true));
  });
}

function poll() {
  api(`api/changes?since=${state.version}`).then((answer) => {
    if (answer.version > state.version) {
      for (const photo of answer.photos) replace(photo);
      state.version = answer.version;
      counts();
    }
  }).catch(() => status("The review server does not answer (ended?)", true));
}

// ---- compare ----------------------------------------------------------------------------------

function compareSet() {
  const here = state.photos[state.current];
  if (!here) return [];
  const same = (p) => (here.burst ? p.burst === here.burst : p.scene === here.scene);
  const set = state.photos.map((p, i) => i).filter((i) => same(state.photos[i]) && state.photos[i].decision !== "skipped");
  const at = set.indexOf(state.current);
  const start = Math.max(0, Math.min(at - 1, set.length - 4));
  return set.slice(start, start + 4);
}

function toggleCompare(on) {
  state.compare = on === undefined ? !state.compare : on;
  document.getElementById("compare").hidden = !state.compare;
  if (state.compare) drawCompare();
}

function drawCompare() {
  const panes = document.getElementById("panes");
  const set = compareSet();
  const key = set.join(",");
  if (panes.dataset.set !== key) {
    panes.dataset.set = key;
    panes.textContent = "";
    panes.style.gridTemplateColumns = `repeat(${Math.min(set.length, 2) || 1}, 1fr)`;
    if (set.length > 2) panes.style.gridTemplateColumns = `repeat(${set.length}, 1fr)`;
    // photoq's pick: the best of the burst, or in a scene without one the highest score shown
    const scored = set.filter((i) => state.photos[i].score !== null);
    const top = scored.length ? scored.reduce((a, b) => (state.photos[b].score > state.photos[a].score ? b : a)) : -1;
    const anyBest = set.some((i) => state.photos[i].best);
    for (const position of set) {
      const photo = state.photos[position];
      const pane = document.createElement("div");
      pane.className = "pane";
      pane.dataset.position = position;
      const img = document.createElement("img");
      img.className = "photo";
      img.alt = photo.name;
      img.src = withToken(`photo/${photo.id}`);
      img.addEventListener("load", () => place(pane));
      pane.appendChild(img);
      if (anyBest ? photo.best : position === top) {
        const pick = document.createElement("span");
        pick.className = "pick";
        pick.textContent = "photoq's pick";
        pane.appendChild(pick);
      }
      const caption = document.createElement("div");
      caption.className = "caption";
      pane.appendChild(caption);
      dragToPan(pane);
      panes.appendChild(pane);
    }
  }
  for (const pane of panes.children) {
    const position = Number(pane.dataset.position);
    const photo = state.photos[position];
    pane.classList.toggle("current", position === state.current);
    pane.querySelector(".caption").innerHTML = `${tileLine(photo)} ${escapeHtml(photo.name)}`;
    let map = pane.querySelector("img.map");
    if (state.map && position === state.current && !map) {
      map = document.createElement("img");
      map.className = "map";
      map.alt = `map of ${photo.name}`;
      map.src = withToken(`map/${photo.id}`);
      map.addEventListener("load", () => place(pane));
      pane.appendChild(map);
    } else if ((!state.map || position !== state.current) && map) {
      map.remove();
    }
    place(pane);
  }
  document.getElementById("compare").dataset.zoom = state.zoom ? "100" : "fit";
}

// Where a pane's photo sits: fitted, or at 100% with the zoom point (fractions, the same for
// every pane) in the middle of the pane.
function place(pane) {
  const img = pane.querySelector("img.photo");
  if (!img || !img.naturalWidth) return;
  const W = pane.clientWidth, H = pane.clientHeight;
  let scale, left, top;
  if (state.zoom) {
    scale = 1 / (window.devicePixelRatio || 1);
    const w = img.naturalWidth * scale, h = img.naturalHeight * scale;
    left = Math.min(0, Math.max(W - w, W / 2 - state.zoom.x * w));
    top = Math.min(0, Math.max(H - h, H / 2 - state.zoom.y * h));
    if (w < W) left = (W - w) / 2;
    if (h < H) top = (H - h) / 2;
  } else {
    scale = Math.min(W / img.naturalWidth, H / img.naturalHeight);
    left = (W - img.naturalWidth * scale) / 2;
    top = (H - img.naturalHeight * scale) / 2;
  }
  const width = `${img.naturalWidth * scale}px`, height = `${img.naturalHeight * scale}px`;
  for (const layer of pane.querySelectorAll("img.photo, img.map")) {
    layer.style.width = width;
    layer.style.height = height;
    layer.style.left = `${left}px`;
    layer.style.top = `${top}px`;
  }
  pane.dataset.scale = scale.toFixed(4);
}

function toggleZoom() {
  if (state.zoom) { state.zoom = null; } else {
    const photo = state.photos[state.current];
    const [x, y] = photo && photo.focus ? photo.focus : [0.5, 0.5];
    state.zoom = { x, y };
  }
  if (!state.compare) toggleCompare(true); else drawCompare();
}

function dragToPan(pane) {
  let start = null;
  pane.addEventListener("mousedown", (event) => {
    if (!state.zoom) return;
    const img = pane.querySelector("img.photo");
    start = { x: event.clientX, y: event.clientY, zoom: { ...state.zoom }, w: img.clientWidth, h: img.clientHeight };
    event.preventDefault();
  });
  window.addEventListener("mousemove", (event) => {
    if (!start) return;
    state.zoom = { x: start.zoom.x - (event.clientX - start.x) / start.w, y: start.zoom.y - (event.clientY - start.y) / start.h };
    for (const p of document.querySelectorAll(".pane")) place(p);
  });
  window.addEventListener("mouseup", () => { start = null; });
}

// ---- keys -------------------------------------------------------------------------------------

function onKey(event) {
  const key = event.key;
  const help = document.getElementById("help");
  if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "z") { event.preventDefault(); undo(); return; }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (key === "?") { help.hidden = !help.hidden; return; }
  if (key === "Escape") {
    if (!help.hidden) help.hidden = true; else if (state.compare) toggleCompare(false);
    return;
  }
  const lower = key.length === 1 ? key.toLowerCase() : key;
  const since = event.timeStamp;
  if ("pxu".includes(lower) && lower.length === 1) { decide(lower, since); return; }
  if (/^[0-5]$/.test(key)) { decide(key, since); return; }
  switch (key) {
    case "ArrowRight": move(1, key, since); break;
    case "ArrowLeft": move(-1, key, since); break;
    case "ArrowDown": move(state.compare ? 1 : columns(), key, since); break;
    case "ArrowUp": move(state.compare ? -1 : -columns(), key, since); break;
    case " ": toggleCompare(); break;
    case "z": case "Z": toggleZoom(); break;
    case "m": case "M": state.map = !state.map; if (state.compare) drawCompare(); else toggleCompare(true); break;
    default: return;
  }
  event.preventDefault();
}

function end(learn) {
  api("done", { learn }).then(() => {
    document.body.innerHTML = `<p class="ended">Review ended. ${learn
      ? "photoq is learning from your decisions (see the terminal or R console)." : ""} You can close this tab.</p>`;
  }).catch((error) => status(`Could not end the review: ${error.message}`, true));
}

function start() {
  api("api/shoot").then((shoot) => {
    state.photos = shoot.photos;
    state.version = shoot.version;
    state.facts = shoot;
    state.photos.forEach((p, i) => state.byId.set(p.id, i));
    const notes = [];
    const lines = shoot.lines || {};
    if (typeof lines.keep === "number" && typeof lines.reject === "number") {
      notes.push(lines.keep === lines.reject ? `One line: keep at ${lines.keep.toFixed(2)} and above`
        : `Keep line ${lines.keep.toFixed(2)}, reject line ${lines.reject.toFixed(2)}${lines.rule ? ` (${lines.rule})` : ""}`);
    }
    if (shoot.drift) notes.push(shoot.drift.charAt(0).toUpperCase() + shoot.drift.slice(1));
    if (shoot.xmp) notes.push("Decisions also go to the XMP sidecars (undo: pyphotoq undo PHOTOS)");
    document.getElementById("notes").textContent = notes.map((n) => n.replace(/\.$/, "")).join(". ") + (notes.length ? "." : "");
    const review = state.photos.findIndex((p) => p.decision === "review");
    state.current = review >= 0 ? review : 0;
    drawGrid();
    document.body.dataset.ready = "1";
    setInterval(poll, 2000);
  }).catch((error) => status(`Cannot load the shoot: ${error.message}`, true));
  document.addEventListener("keydown", onKey);
  for (const button of document.querySelectorAll("#filters button")) {
    button.addEventListener("click", () => { state.filter = button.dataset.filter; drawGrid(); });
  }
  document.getElementById("help-button").addEventListener("click", () => {
    const help = document.getElementById("help");
    help.hidden = !help.hidden;
  });
  document.getElementById("help").addEventListener("click", (e) => { if (e.target.id === "help") e.target.hidden = true; });
  document.getElementById("done").addEventListener("click", () => end(false));
  document.getElementById("done-learn").addEventListener("click", () => end(true));
  window.addEventListener("resize", () => { for (const p of document.querySelectorAll(".pane")) place(p); });
}

start();
