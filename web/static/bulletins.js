// Bulletins in the browser: fill a template's blanks, choose text or a recording (record
// one with the microphone), ask before sending an emergency, and follow a bulletin's
// delivery live. The words come from the page (data-say-*), so they are in its language.
// The server checks everything again.
"use strict";

const HOLE = /\{(\w+)\}/g;

function say(form, key, values) {
  const text = form.dataset[key] || "";
  return text.replace(/\{(\w+)\}/g, (hole, name) => String((values || {})[name] ?? hole));
}

function mmss(ms) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// The template with each blank's value, else its mark ("[Tên cơn bão]"): what
// playlists.bulletin_templates draft() does on the server, so an untouched form reads the
// same on both sides. The example is only the field's placeholder, never text.
function filled(template, blanks) {
  return template.replace(HOLE, (hole, key) => {
    const input = blanks[key];
    if (!input) return hole;
    return input.value.trim() || input.dataset.marker;
  });
}

function fillBlanks(form) {
  if (!form.dataset.text) return;
  const blanks = {};
  for (const input of form.querySelectorAll("[data-blank]")) blanks[input.dataset.blank] = input;
  const text = form.elements.text;
  const title = form.elements.title;
  const note = document.getElementById("blank-note");
  // Linked while the text is what the blanks make; a hand edit unlinks it (never overwritten).
  let linked = text.value === filled(form.dataset.text, blanks);
  let titleLinked = title.value === filled(form.dataset.title, blanks);
  if (!linked) note.textContent = say(form, "sayEdited");
  text.addEventListener("input", () => {
    linked = false;
    note.textContent = say(form, "sayEdited");
  });
  title.addEventListener("input", () => { titleLinked = false; });
  for (const input of Object.values(blanks)) {
    input.addEventListener("input", () => {
      if (linked) text.value = filled(form.dataset.text, blanks);
      if (titleLinked) title.value = filled(form.dataset.title, blanks);
    });
  }
}

function showSource(form) {
  const chosen = form.querySelector("input[name=source]:checked");
  const audio = chosen && chosen.value === "audio";
  document.getElementById("source-text").hidden = audio;
  document.getElementById("source-audio").hidden = !audio;
  // A recording is heard in the page as it is chosen; a preview would drop the chosen file.
  document.getElementById("preview-button").hidden = audio;
}

// An emergency asks before it goes (loa.js reads data-confirm on the button pressed).
function confirmEmergency(form) {
  const send = document.getElementById("send");
  const chosen = form.querySelector("input[name=priority]:checked");
  if (chosen && chosen.value === "emergency") {
    send.dataset.confirm = send.dataset.confirmEmergency;
  } else {
    delete send.dataset.confirm;
  }
  // An emergency plays at once: its start is not asked for.
  document.getElementById("valid-from").hidden = Boolean(chosen && chosen.value === "emergency");
}

function listenToChosen(input, player) {
  const file = input.files[0];
  if (player.src) URL.revokeObjectURL(player.src);
  player.hidden = !file;
  if (file) player.src = URL.createObjectURL(file);
}

// Record with the microphone; the recording becomes the form's file, sent like an upload.
function recorder(form) {
  const box = document.getElementById("recorder");
  const input = form.elements.file;
  const player = document.getElementById("chosen-audio");
  const note = document.getElementById("record-note");
  input.addEventListener("change", () => listenToChosen(input, player));
  if (!window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) return;
  box.hidden = false;
  const start = document.getElementById("record");
  const stop = document.getElementById("stop");
  let media = null;
  start.addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: true});
    } catch (err) {
      note.textContent = say(form, "sayNoMicrophone");
      return;
    }
    const chunks = [];
    const began = Date.now();
    media = new MediaRecorder(stream);
    media.addEventListener("dataavailable", (event) => chunks.push(event.data));
    media.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      const type = media.mimeType || "audio/webm";
      const suffix = type.includes("mp4") ? "m4a" : type.includes("ogg") ? "ogg" : "webm";
      const file = new File(chunks, `ghi-am.${suffix}`, {type});
      const files = new DataTransfer();
      files.items.add(file);
      input.files = files.files;
      listenToChosen(input, player);
      note.textContent = say(form, "sayRecorded", {length: mmss(Date.now() - began)});
      start.disabled = false;
      stop.disabled = true;
    });
    media.start();
    note.textContent = say(form, "sayRecording");
    start.disabled = true;
    stop.disabled = false;
  });
  stop.addEventListener("click", () => { if (media && media.state !== "inactive") media.stop(); });
}

function bulletinForm(form) {
  fillBlanks(form);
  for (const radio of form.querySelectorAll("input[name=source]")) {
    radio.addEventListener("change", () => showSource(form));
  }
  showSource(form);
  for (const radio of form.querySelectorAll("input[name=priority]")) {
    radio.addEventListener("change", () => confirmEmergency(form));
  }
  confirmEmergency(form);
  recorder(form);
}

// The live delivery page: the headline, the bar and each station's row every 2 s, until
// the bulletin is no longer active.
function followDelivery(table) {
  const headline = document.getElementById("headline");
  const bar = document.getElementById("played");
  const status = document.getElementById("status");
  async function poll() {
    let state;
    try {
      const answer = await fetch(table.dataset.status, {headers: {"Accept": "application/json"}});
      if (!answer.ok) throw new Error(String(answer.status));
      state = await answer.json();
    } catch (err) {
      setTimeout(poll, 2000);  // a dropped request: try again on the next tick
      return;
    }
    headline.textContent = state.headline;
    bar.max = state.total || 1;
    bar.value = state.played;
    status.textContent = state.status_label;
    for (const row of state.stations) {
      const line = table.querySelector(`tr[data-station="${CSS.escape(row.code)}"]`);
      if (!line) continue;
      line.classList.toggle("played", row.played);
      line.classList.toggle("failed", row.failed);
      line.dataset.state = row.state;
      for (const cell of line.querySelectorAll("[data-step]")) {
        cell.textContent = row[cell.dataset.step];
      }
      const state = line.querySelector(".state");
      if (state) state.className = `state state-${row.state}`;
    }
    if (state.live) setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("bulletin-form");
  if (form) bulletinForm(form);
  const table = document.getElementById("delivery");
  if (table && table.dataset.status) followDelivery(table);
});
