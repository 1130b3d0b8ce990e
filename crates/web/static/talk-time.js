// Group sessions: "Now speaking" without reloading the page. Each click is shown at once (the pressed button, the
// status, a running clock) and queued; the queue is sent in order in the background, each click with its age in
// milliseconds, and the server answers with the new tally. When the connection drops the clicks stay queued (also
// across a reload of the tab, in sessionStorage) and are sent when it is back, so the tally keeps the real times.
// A click refused by the server (the session was signed, a later click came from another screen) is dropped and
// its reason shown. Without this script each button is a plain form that reloads the page.
(function () {
  "use strict";
  var section = document.getElementById("talk");
  if (!section || !window.fetch || !window.URLSearchParams) return;
  var forms = Array.prototype.slice.call(section.querySelectorAll(".talk-buttons form"));
  if (forms.length === 0) return;
  var action = forms[0].getAttribute("action");
  var csrf = forms[0].querySelector('input[name="_csrf"]').value;
  var clock = document.getElementById("talk-clock");
  var pending = document.getElementById("talk-pending");
  var errors = document.getElementById("talk-error");
  var key = "talk-queue:" + action;
  // Clicks are at most ten minutes old when sent: the server refuses older ones.
  var HELD_MAX_MS = 10 * 60 * 1000;
  var queue = [];
  try {
    queue = JSON.parse(window.sessionStorage.getItem(key) || "[]");
  } catch (e) {
    queue = [];
  }
  var sending = false;
  var tally = document.getElementById("talk-tally");
  var since = tally && tally.getAttribute("data-since") ? Date.parse(tally.getAttribute("data-since")) : null;
  var speaking = section.querySelector("button.speaking") !== null;

  function save() {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(queue));
    } catch (e) {
      // Private mode without storage: the queue lives as long as the page.
    }
  }

  function idOf(form) {
    return form.querySelector('input[name="client_id"]').value;
  }

  function nameOf(form) {
    return form.querySelector("button").textContent.replace(/^Now speaking:\s*/, "");
  }

  function mark(clientId) {
    forms.forEach(function (f) {
      var b = f.querySelector("button");
      var id = idOf(f);
      if (id === "") return;
      var on = id === clientId;
      b.classList.toggle("speaking", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function say(form) {
    var status = document.getElementById("talk-status");
    if (!status) return;
    status.textContent = "";
    if (idOf(form) === "") {
      status.textContent = "Paused.";
      return;
    }
    status.appendChild(document.createTextNode("Now speaking: "));
    var strong = document.createElement("strong");
    strong.textContent = nameOf(form);
    status.appendChild(strong);
  }

  function tick() {
    if (!clock) return;
    if (!speaking || since === null || isNaN(since)) {
      clock.hidden = true;
      return;
    }
    var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var text = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    clock.hidden = false;
    clock.textContent = "Speaking for " + text;
  }

  function showPending() {
    if (!pending) return;
    if (queue.length === 0) {
      pending.hidden = true;
      pending.textContent = "";
      return;
    }
    pending.hidden = false;
    pending.textContent =
      "Not saved yet: " +
      (queue.length === 1 ? "1 change of speaker is" : queue.length + " changes of speaker are") +
      " waiting for the connection; they will be saved with their times.";
  }

  function showError(html) {
    if (!errors) return;
    errors.innerHTML = html; // the server's escaped message
  }

  function replaceTally(html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    var fresh = box.querySelector("#talk-tally");
    var old = document.getElementById("talk-tally");
    if (fresh && old) old.replaceWith(fresh);
  }

  function flush() {
    if (sending || queue.length === 0) return;
    sending = true;
    var click = queue[0];
    var age = Math.max(0, Date.now() - click.at);
    if (age > HELD_MAX_MS) {
      // The server would refuse it; say so rather than retrying for ever.
      queue.shift();
      save();
      sending = false;
      showError(
        '<p class="alert" role="alert">A change of speaker held for more than ten minutes was not saved; the tally stands as it was.</p>'
      );
      showPending();
      flush();
      return;
    }
    var body = new URLSearchParams();
    body.set("_csrf", csrf);
    body.set("client_id", click.client_id);
    body.set("ago_ms", String(age));
    fetch(action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Rapport-Fragment": "talk" },
    })
      .then(function (res) {
        return res.text().then(function (html) {
          if (res.status >= 500 || res.status === 429) {
            // The server or the database is away for now: keep the click and try again.
            throw new Error("retry");
          }
          queue.shift();
          save();
          if (res.ok) {
            showError("");
            // The tally of the last click sent; a newer click waiting keeps its own status on screen.
            if (queue.length === 0) replaceTally(html);
          } else {
            showError(html);
          }
        });
      })
      .catch(function () {
        // Offline: the click stays first in the queue.
      })
      .then(function () {
        sending = false;
        showPending();
        if (queue.length > 0 && navigator.onLine !== false) window.setTimeout(flush, 2000);
      });
  }

  forms.forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = idOf(f);
      queue.push({ client_id: id, at: Date.now() });
      save();
      mark(id);
      say(f);
      speaking = id !== "";
      since = Date.now();
      tick();
      showPending();
      flush();
    });
  });
  window.addEventListener("online", flush);
  window.setInterval(tick, 1000);
  tick();
  showPending();
  flush();
})();
