// The upload page: one job per file, polled until done, then a before/after comparison that can
// be seen at 100 % and panned. A lost server or a lost job shows on its card, with a retry.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const SUFFIX = { png: ".png", jpeg: ".jpg", webp: ".webp" };
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];
let limits = null;

function describeTime(seconds) {
  if (seconds == null) return "";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadLimits() {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch("/api/limits");
      limits = await response.json();
      break;
    } catch (err) {
      $("#limits").textContent = "Cannot reach the server; trying again…";
      await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
    }
  }
  $("#scale").textContent = limits.scale;
  const formats = limits.formats.join(", ").replace(/, ([^,]*)$/, " or $1");
  const accepted = `${formats}, up to ${limits.max_upload_mb} MB and ${limits.max_input_mp} megapixels per photo.`;
  const select = $("#model");
  select.replaceChildren();
  for (const model of limits.models) {
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = model.name;
    option.dataset.use = model.description;
    option.dataset.rate = model.seconds_per_input_mp;
    option.selected = model.name === limits.default_model;
    select.append(option);
  }
  // The estimate is the chosen model's: the shipped ones differ by 2.5x in speed.
  const describe = () => {
    const chosen = select.selectedOptions[0];
    const rate = Number(chosen?.dataset.rate);
    const which = limits.models.length > 1 ? ` with ${chosen.value}` : "";
    const estimate = rate ? ` A 12-megapixel photo takes ${describeTime(12 * rate)} on this server${which}.` : "";
    $("#limits").textContent = accepted + estimate;
    $("#model-use").textContent = chosen?.dataset.use || "";
  };
  select.addEventListener("change", describe);
  describe();
}

function statusText(job) {
  switch (job.status) {
    case "queued":
      return `Waiting: number ${job.position} in line, ${describeTime(job.eta_s)} until done`;
    case "running": {
      const percent = Math.floor((100 * job.tiles_done) / Math.max(1, job.tiles_total));
      return `${percent} %, ${describeTime(job.eta_s)} left`;
    }
    case "done":
      return "Done";
    case "cancelled":
      return "Cancelled";
    default:
      return "Failed";
  }
}

function clearError(card) {
  $(".error", card).hidden = true;
  $(".retry", card).hidden = true;
}

function showError(card, message, retry) {
  const error = $(".error", card);
  error.textContent = message;
  error.hidden = false;
  $("progress", card).hidden = true;
  $(".status", card).textContent = "Not upscaled";
  $(".cancel", card).hidden = true;
  const button = $(".retry", card);
  button.hidden = !retry;
  button.onclick = retry ? () => { clearError(card); retry(); } : null;
}

function downloadName(job) {
  const stem = job.name.replace(/\.[^.]*$/, "") || "photo";
  return `${stem}_${job.output.scale}x${SUFFIX[job.output.format] || ".png"}`;
}

function setupZoom(card, job) {
  const compare = $(".compare", card);
  const frame = $(".frame", compare);
  const stage = $(".stage", frame);
  const button = $(".zoom", compare);
  const images = [$(".before", stage), $(".after", stage)];
  const toggle = (on) => {
    frame.classList.toggle("zoomed", on);
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Fit to the page" : "View at 100 %";
    $(".zoom-hint", compare).hidden = !on;
    stage.style.width = on ? `${job.output.width}px` : "";
    for (const img of images) img.style.width = on ? `${job.output.width}px` : "";
    $(".before", stage).classList.toggle("pixels", on);
    if (on) {  // start in the middle, where the photo usually is
      frame.scrollLeft = (frame.scrollWidth - frame.clientWidth) / 2;
      frame.scrollTop = (frame.scrollHeight - frame.clientHeight) / 2;
    }
  };
  button.addEventListener("click", () => toggle(!frame.classList.contains("zoomed")));
  let drag = null;
  frame.addEventListener("pointerdown", (event) => {
    if (!frame.classList.contains("zoomed")) return;
    drag = { x: event.clientX, y: event.clientY, left: frame.scrollLeft, top: frame.scrollTop };
    frame.setPointerCapture(event.pointerId);
    frame.classList.add("dragging");
  });
  frame.addEventListener("pointermove", (event) => {
    if (!drag) return;
    frame.scrollLeft = drag.left - (event.clientX - drag.x);
    frame.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const release = () => { drag = null; frame.classList.remove("dragging"); };
  frame.addEventListener("pointerup", release);
  frame.addEventListener("pointercancel", release);
  frame.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 200 : 40;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key === "+" || event.key === "=") return toggle(true);
    if (event.key === "-" || event.key === "Escape") return toggle(false);
    if (!(event.key in moves) || !frame.classList.contains("zoomed")) return;
    event.preventDefault();
    frame.scrollBy(moves[event.key][0], moves[event.key][1]);
  });
}

function showResult(card, job) {
  const compare = $(".compare", card);
  $(".before", compare).src = `/api/jobs/${job.id}/input`;
  $(".before", compare).alt = `${job.name}, before (${job.input.width} x ${job.input.height})`;
  $(".after", compare).src = `/api/jobs/${job.id}/result`;
  $(".after", compare).alt = `${job.name}, upscaled (${job.output.width} x ${job.output.height})`;
  compare.hidden = false;
  const slider = $(".slider", compare);
  const move = () => {
    $(".after", compare).style.clipPath = `inset(0 0 0 ${slider.value}%)`;
    $(".divider", compare).style.left = `${slider.value}%`;
  };
  slider.addEventListener("input", move);
  move();
  setupZoom(card, job);
  const download = $(".download", card);
  download.href = `/api/jobs/${job.id}/result`;
  download.download = downloadName(job);
  download.hidden = false;
  $(".cancel", card).hidden = true;
  $("progress", card).hidden = true;
}

function update(card, job) {
  $(".size", card).textContent =
    `${job.input.width} × ${job.input.height} → ${job.output.width} × ${job.output.height}` +
    ` · ${job.output.format.toUpperCase()} · ${job.model}`;
  $(".status", card).textContent = statusText(job);
  const progress = $("progress", card);
  progress.hidden = false;
  progress.value = job.status === "done" ? 100 : (100 * job.tiles_done) / Math.max(1, job.tiles_total);
  if (job.warning) {
    $(".warning", card).textContent = job.warning;
    $(".warning", card).hidden = false;
  }
  if (job.status === "cancelled") {
    $(".cancel", card).hidden = true;
    progress.hidden = true;
  }
}

// Poll a job until it ends. A network error (the server is down or restarting) is shown on the
// card and polled again with back-off; a 404 means the server lost the job (it expired, or the
// server lost its state): the card says so and offers to upload the photo again.
async function poll(card, id, file) {
  let misses = 0;
  for (;;) {
    if (card.dataset.cancelled) return;
    let response;
    try {
      response = await fetch(`/api/jobs/${id}`);
    } catch (err) {
      const wait = BACKOFF_MS[Math.min(misses++, BACKOFF_MS.length - 1)];
      showError(card, `Lost contact with the server; trying again in ${Math.round(wait / 1000) || 1} s…`,
                () => { misses = 0; });
      $(".status", card).textContent = "Waiting for the server";
      await sleep(wait);
      continue;
    }
    if (misses) { clearError(card); $(".cancel", card).hidden = false; misses = 0; }
    if (response.status === 404) {
      return showError(card, "The server no longer has this job (it restarted without it, or it expired).",
                       () => upload(file, card));
    }
    if (!response.ok) {
      const wait = BACKOFF_MS[Math.min(misses++, BACKOFF_MS.length - 1)];
      showError(card, `The server answered ${response.status}; trying again…`);
      await sleep(wait);
      continue;
    }
    const job = await response.json();
    update(card, job);
    if (job.status === "done") return showResult(card, job);
    if (job.status === "failed") {
      return showError(card, job.error || "The server could not upscale this photo.", () => upload(file, card));
    }
    if (job.status === "cancelled") return;
    await sleep(job.status === "running" ? 500 : 1000);
  }
}

function formFor(file) {
  const form = new FormData();
  form.append("file", file);
  form.append("model", $("#model").value);
  form.append("format", $("#format").value);
  if ($("#quality").value && !$("#quality-label").hidden) form.append("quality", $("#quality").value);
  form.append("strip_metadata", $("#strip").checked ? "true" : "false");
  form.append("self_ensemble", $("#ensemble").checked ? "true" : "false");
  if ($("#nearest").value) form.append("nearest_input", $("#nearest").value);
  return form;
}

async function upload(file, card = null) {
  if (!card) {
    card = $("#card").content.firstElementChild.cloneNode(true);
    $(".name", card).textContent = file.name;
    $("#jobs").prepend(card);
  }
  delete card.dataset.cancelled;
  $(".status", card).textContent = "Uploading…";
  $(".cancel", card).hidden = false;
  let response;
  try {
    response = await fetch("/api/jobs", { method: "POST", body: formFor(file) });
  } catch (err) {
    return showError(card, `${file.name}: the server could not be reached (${err.message}).`,
                     () => upload(file, card));
  }
  const answer = await response.json().catch(() => ({ detail: response.statusText }));
  if (response.status !== 202) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail);
    const again = response.status === 503 || response.status === 507 ? () => upload(file, card) : null;
    return showError(card, detail, again);
  }
  card.dataset.job = answer.id;
  $(".cancel", card).onclick = async () => {
    card.dataset.cancelled = "yes";
    $(".status", card).textContent = "Cancelled";
    $(".cancel", card).hidden = true;
    $("progress", card).hidden = true;
    await fetch(`/api/jobs/${answer.id}`, { method: "DELETE" }).catch(() => {});
  };
  poll(card, answer.id, file);
}

function uploadAll(files) {
  for (const file of files) upload(file);
}

document.addEventListener("DOMContentLoaded", () => {
  loadLimits();
  const drop = $("#drop");
  const format = $("#format");
  format.addEventListener("change", () => {
    $("#quality-label").hidden = !["jpeg", "webp"].includes(format.value);
    $("#quality").placeholder = format.value === "webp" ? "90" : "95";
  });
  $("#files").addEventListener("change", (event) => {
    uploadAll(event.target.files);
    event.target.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    uploadAll(event.dataTransfer.files);
  });
});
