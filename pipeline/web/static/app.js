// The upload page: one job per file, polled until done, then a before/after slider.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
let limits = null;

function describeTime(seconds) {
  if (seconds == null) return "";
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

async function loadLimits() {
  const response = await fetch("/api/limits");
  limits = await response.json();
  $("#scale").textContent = limits.scale;
  const formats = limits.formats.join(", ").replace(/, ([^,]*)$/, " or $1");
  let text = `${formats}, up to ${limits.max_upload_mb} MB and ${limits.max_input_mp} megapixels per photo.`;
  if (limits.seconds_per_input_mp) {
    text += ` A 12-megapixel photo takes ${describeTime(12 * limits.seconds_per_input_mp)} on this server.`;
  }
  $("#limits").textContent = text;
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

function showError(card, message) {
  const error = $(".error", card);
  error.textContent = message;
  error.hidden = false;
  $("progress", card).hidden = true;
  $(".status", card).textContent = "Not upscaled";
  $(".cancel", card).hidden = true;
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
  const download = $(".download", card);
  download.href = `/api/jobs/${job.id}/result`;
  download.hidden = false;
  $(".cancel", card).hidden = true;
  $("progress", card).hidden = true;
}

function update(card, job) {
  $(".size", card).textContent =
    `${job.input.width} × ${job.input.height} → ${job.output.width} × ${job.output.height}`;
  $(".status", card).textContent = statusText(job);
  const progress = $("progress", card);
  progress.value = job.status === "done" ? 100 : (100 * job.tiles_done) / Math.max(1, job.tiles_total);
  if (job.warning) {
    $(".warning", card).textContent = job.warning;
    $(".warning", card).hidden = false;
  }
  if (job.status === "failed") showError(card, job.error || "The server could not upscale this photo.");
  if (job.status === "cancelled") {
    $(".cancel", card).hidden = true;
    progress.hidden = true;
  }
}

async function poll(card, id) {
  for (;;) {
    const response = await fetch(`/api/jobs/${id}`);
    if (!response.ok) {
      if (card.dataset.cancelled) return;
      showError(card, (await response.json()).detail);
      return;
    }
    const job = await response.json();
    update(card, job);
    if (job.status === "done") return showResult(card, job);
    if (job.status === "failed" || job.status === "cancelled") return;
    await new Promise((resolve) => setTimeout(resolve, job.status === "running" ? 500 : 1000));
  }
}

async function upload(file) {
  const card = $("#card").content.firstElementChild.cloneNode(true);
  $(".name", card).textContent = file.name;
  $(".status", card).textContent = "Uploading…";
  $("#jobs").prepend(card);
  const form = new FormData();
  form.append("file", file);
  form.append("self_ensemble", $("#ensemble").checked ? "true" : "false");
  let response;
  try {
    response = await fetch("/api/jobs", { method: "POST", body: form });
  } catch (err) {
    return showError(card, `${file.name}: the upload failed (${err.message})`);
  }
  const answer = await response.json().catch(() => ({ detail: response.statusText }));
  if (response.status !== 202) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail);
    return showError(card, detail);
  }
  card.dataset.job = answer.id;
  $(".cancel", card).addEventListener("click", async () => {
    card.dataset.cancelled = "yes";
    await fetch(`/api/jobs/${answer.id}`, { method: "DELETE" });
    $(".status", card).textContent = "Cancelled";
    $(".cancel", card).hidden = true;
    $("progress", card).hidden = true;
  });
  poll(card, answer.id);
}

function uploadAll(files) {
  for (const file of files) upload(file);
}

document.addEventListener("DOMContentLoaded", () => {
  loadLimits();
  const drop = $("#drop");
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
