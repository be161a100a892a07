// Follows a running assessment: polls its status (the page's data-poll URL) every two seconds,
// shows the progress, and reloads the page when the job ends. Without it the page has a
// Refresh link.
"use strict";
(function () {
  var state = document.getElementById("job-state");
  if (!state || !state.dataset.poll) { return; }
  var url = state.dataset.poll;
  function show(job) {
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = job.progress; }
    var percent = document.getElementById("job-percent");
    if (percent) { percent.textContent = job.progress + "%"; }
    var badge = document.querySelector("#job-status .status");
    if (badge) {
      badge.textContent = job.status;
      badge.className = "status status-" + job.status;
    }
    var stage = document.getElementById("job-stage");
    if (stage) { stage.textContent = job.stage === job.status ? "" : job.stage; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        show(job);
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
