// Saves a note draft two seconds after typing stops, so a closed tab or a lost connection costs little.
// Progressive: without this script the "Save draft" button does the same. The server keeps versions, so a save
// from a stale tab is refused; autosave then stops and the manual save shows both versions side by side.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = document.getElementById("autosave-status");
  var version = form.querySelector("input[name='version']");
  var timer = null, busy = false, again = false, stopped = false;

  function say(text) { if (status) status.textContent = text; }

  function save() {
    if (stopped) return;
    if (busy) { again = true; return; }
    busy = true; again = false;
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "autosave");
    fetch(form.getAttribute("data-autosave"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) {
          version.value = j.version;
          // The server says when, in the writer's own zone (the browser's clock may be set to another).
          say("Draft saved at " + (j.saved_at || "just now") + ".");
        } else {
          if (r.status === 409 || r.status === 403) stopped = true;
          say(j.message || ("Not saved (" + r.status + ")."));
        }
      });
    }).catch(function () {
      say("Not saved: no connection. Your text is still here; it will be saved when you type again.");
    }).then(function () {
      busy = false;
      if (again) schedule();
    });
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("submit", function () { stopped = true; clearTimeout(timer); });
})();
