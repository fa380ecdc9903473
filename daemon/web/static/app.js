// endnoted's window: small progressive enhancements. Every page works without this script.
"use strict";

function poll(url, every, handle) {
  let stopped = false;
  async function tick() {
    if (stopped) return;
    try {
      const answer = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok && handle(await answer.json()) === false) { stopped = true; return; }
    } catch (error) { /* the server was closed: keep the page as it is */ stopped = true; return; }
    setTimeout(tick, every);
  }
  tick();
}

// The wizard: show what endnoted observes now; reload when the other front end moved the run on.
function watchStep(box) {
  const text = document.getElementById("live-text");
  const step = Number(box.dataset.step);
  poll(box.dataset.observe, 2500, (seen) => {
    if (seen.step !== step) { window.location.assign(window.location.pathname); return false; }
    if (!seen.visible) return true;
    text.textContent = seen.detail;
    box.classList.toggle("good", seen.ok);
    box.classList.toggle("warn", !seen.ok);   // waiting, not failing
    return true;
  });
}

// A backup in progress: move the bar; go back when it is proven.
function watchJob(box) {
  const bar = document.getElementById("progress");
  const status = box.querySelector(".job-status");
  poll("/api/jobs/" + box.dataset.job, 400, (job) => {
    bar.value = job.percent;
    bar.textContent = job.percent + " %";
    box.dataset.state = job.state;
    if (job.state === "running") return true;
    status.textContent = job.text;
    status.classList.add(job.state === "done" ? "good" : "bad");
    if (job.state === "done") setTimeout(() => { window.location.assign(box.dataset.back); }, 1500);
    return false;
  });
}

// Step 5: the exact text to type, built in the page; the e-mail never leaves it.
function emailHelper(input) {
  const out = document.getElementById("reset-text");
  const label = document.getElementById("reset-label");
  input.addEventListener("input", () => {
    const email = input.value.trim();
    out.textContent = email + input.dataset.suffix;
    label.textContent = email ? label.dataset.enter : label.dataset.append;   // the whole line, or the tail
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live) watchStep(live);
  const job = document.querySelector(".job[data-job]");
  if (job) watchJob(job);
  const email = document.getElementById("email");
  if (email) emailHelper(email);
});
