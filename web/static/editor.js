// The programme editor in the browser: estimates while typing, checks a file before upload,
// follows a render's progress (loa.js asks before deleting). The server checks everything again.
"use strict";

const WORD = /[\p{L}\p{N}]+/gu;

// The words come from the page (data-say-*, in its language), with {name} holes to fill.
function say(key, values) {
  const text = document.getElementById("add-segments").dataset[key] || "";
  return text.replace(/\{(\w+)\}/g, (hole, name) => String(values[name] ?? hole));
}

function mmss(ms) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// Digits are read out as several words ("2022" is "hai nghìn không trăm hai mươi hai"):
// count about one word per digit, as the engine's spoken form does.
function spokenWords(text) {
  let words = 0;
  for (const token of text.match(WORD) || []) {
    words += /^\p{N}+$/u.test(token) ? token.length : 1;
  }
  return words;
}

// How far a length misses a bound, as the server words it (playlists/limits.gap_words):
// rounded up to the second, so never "0 giây"; seconds alone under a minute.
function gapWords(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m === 0) return say("sayGapS", {s: total});
  return s === 0 ? say("sayGapM", {m}) : say("sayGapMs", {m, s});
}

function lengthNote(totalMs, minS, maxS) {
  if (totalMs < minS * 1000) return say("sayShort", {by: gapWords(minS * 1000 - totalMs)});
  if (totalMs > maxS * 1000) return say("sayLong", {by: gapWords(totalMs - maxS * 1000)});
  return say("sayFits", {});
}

function estimateWhileTyping(box, bounds) {
  const form = document.getElementById("add-tts");
  const note = document.getElementById("tts-estimate");
  const badge = document.querySelector("#length .duration-badge");
  if (!form || !note || !badge) return;
  const rate = parseFloat(box.dataset.wordsPerSecond) || 4.3;
  const programmeMs = parseInt(badge.dataset.ms, 10) || 0;
  const minS = parseInt(bounds.dataset.minS, 10);
  const maxS = parseInt(bounds.dataset.maxS, 10);
  const estimate = () => {
    const ms = (spokenWords(form.elements.text.value) / rate) * 1000;
    if (!ms) { note.textContent = ""; return; }
    const total = programmeMs + ms;
    note.textContent = say("sayEstimate", {
      part: mmss(ms), total: mmss(total), note: lengthNote(total, minS, maxS),
    });
    note.classList.toggle("warning", total < minS * 1000 || total > maxS * 1000);
  };
  form.elements.text.addEventListener("input", estimate);
  estimate();  // text typed while this script was still loading (a slow link)
}

function audioLength(file) {
  return new Promise((resolve) => {
    const probe = new Audio();
    const url = URL.createObjectURL(file);
    const done = (ms) => { URL.revokeObjectURL(url); resolve(ms); };
    probe.addEventListener("loadedmetadata", () => done(probe.duration * 1000));
    probe.addEventListener("error", () => done(null));  // the server probes it anyway
    probe.preload = "metadata";
    probe.src = url;
  });
}

function checkBeforeUpload(box) {
  const maxBytes = parseInt(box.dataset.maxBytes, 10) || 0;
  const maxMs = parseInt(box.dataset.maxMs, 10) || 0;
  for (const form of box.querySelectorAll("form.upload")) {
    const input = form.elements.file;
    const note = form.querySelector(".upload-check");
    input.addEventListener("change", async () => {
      const file = input.files[0];
      let problem = "";
      if (file && maxBytes && file.size > maxBytes) {
        problem = say("sayTooBig", {
          size: (file.size / 1048576).toFixed(1), max: Math.floor(maxBytes / 1048576),
        });
      } else if (file && maxMs && form.elements.kind.value !== "bed") {
        const ms = await audioLength(file);
        if (ms && ms > maxMs) {
          problem = say("sayTooLong", {length: mmss(ms), max: mmss(maxMs)});
        } else if (ms) {
          note.textContent = say("sayLength", {length: mmss(ms)});
        }
      }
      input.setCustomValidity(problem);
      if (problem) { note.textContent = problem; input.reportValidity(); }
    });
    form.elements.kind.addEventListener("change", () => input.dispatchEvent(new Event("change")));
    // A file picked while this script was still loading (a slow link) is checked now.
    if (input.files.length) input.dispatchEvent(new Event("change"));
  }
}

function followRender(box) {
  const bar = document.getElementById("render-progress");
  const count = document.getElementById("render-count");
  async function poll() {
    try {
      const answer = await fetch(box.dataset.status, {headers: {"Accept": "application/json"}});
      const job = await answer.json();
      if (job.total) { bar.max = job.total; bar.value = job.done; count.textContent = `${job.done}/${job.total}`; }
      if (!job.running) { bar.value = bar.max; window.location.reload(); return; }
    } catch (err) { /* a dropped request: try again on the next tick */ }
    setTimeout(poll, 400);
  }
  setTimeout(poll, 400);
}

// Drag a segment by its handle (pointer events: a finger on a phone, a mouse on a desktop);
// on release the whole new order is posted once. Without this script the up/down buttons
// make the same change one step at a time.
function reorderByDrag(list) {
  const status = document.getElementById("reorder-status");
  const items = () => [...list.querySelectorAll(":scope > li[data-segment-id]")];
  const order = () => items().map((li) => li.dataset.segmentId).join(",");
  const put = (ids) => { for (const id of ids.split(",")) list.append(document.getElementById(`segment-${id}`)); };
  const ends = () => items().forEach((li, i, all) => {
    const up = li.querySelector(".move-up");
    const down = li.querySelector(".move-down");
    if (up) up.disabled = i === 0;
    if (down) down.disabled = i === all.length - 1;
  });
  let dragged = null;
  let before = "";
  for (const handle of list.querySelectorAll(".drag-handle")) handle.hidden = false;
  list.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (!handle || dragged) return;
    event.preventDefault();
    dragged = handle.closest("li");
    before = order();
    handle.setPointerCapture(event.pointerId);
    dragged.classList.add("dragging");
  });
  // Moving the item in the page ends the pointer capture, so the rest is heard on the document.
  document.addEventListener("pointermove", (event) => {
    if (!dragged) return;
    // Near the top or bottom edge the page scrolls, so a long list is reachable on a phone.
    if (event.clientY < 48) window.scrollBy(0, -16);
    else if (event.clientY > window.innerHeight - 48) window.scrollBy(0, 16);
    const under = document.elementFromPoint(event.clientX, event.clientY);
    const over = under && under.closest("li[data-segment-id]");
    if (!over || over === dragged || over.parentElement !== list) return;
    const box = over.getBoundingClientRect();
    list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
  });
  const finish = async (keep) => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    const now = order();
    if (now === before) return;
    const question = list.dataset.confirm;
    if (!keep || (question && !window.confirm(question))) { put(before); return; }
    const form = new FormData();
    form.append("csrf_token", list.dataset.csrf);
    form.append("order", now);
    let answer = null;
    try {
      const response = await fetch(list.dataset.reorder, {
        method: "POST", body: form, headers: {"Accept": "application/json"},
      });
      answer = await response.json();
    } catch (err) { answer = null; }
    if (!answer || !answer.ok) {
      put(before);
      status.textContent = (answer && answer.message) || list.dataset.sayFailed;
      status.classList.add("flash", "error");
      return;
    }
    ends();
    status.classList.remove("error");
    status.classList.add("flash", "info");
    status.textContent = answer.message;
    const shown = document.getElementById("status");
    if (shown && answer.status) shown.textContent = answer.status;
    if (question) {  // the submission is withdrawn now: nothing more to ask about it
      list.dataset.confirm = "";
      for (const form of document.querySelectorAll("form[data-confirm]")) {
        if (form.dataset.confirm === question) delete form.dataset.confirm;
        else form.dataset.confirm = form.dataset.confirm.replace(` ${question}`, "");
      }
      const note = document.getElementById("withdraw-note");
      if (note) note.remove();
    }
  };
  document.addEventListener("pointerup", () => finish(true));
  document.addEventListener("pointercancel", () => finish(false));
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("segment-list");
  if (list && list.dataset.reorder) reorderByDrag(list);
  const box = document.getElementById("add-segments");
  const bounds = document.getElementById("length");
  if (box && bounds) { estimateWhileTyping(box, bounds); checkBeforeUpload(box); }
  const render = document.getElementById("render");
  if (render) followRender(render);
});
