// The client picker (pages/client_picker.rs) as one types: asks the audited client search for matches and redraws
// the radio buttons, so a search costs no page load and keeps what was typed in the rest of the form.
// Progressive: without this script the search field's GET form reloads the page with the matches. If a search
// fails, the script steps aside and the Search button does a plain page load again.
(function () {
  "use strict";
  var pickers = document.querySelectorAll("[data-client-picker]");
  if (!pickers.length) return;

  // What to offer and what to say, as `offered` in pages/client_picker.rs: before anything is typed, a directory
  // larger than one answer offers nobody rather than the first names of the alphabet.
  function offered(q, items, total) {
    var shown = items.length;
    if (!q && shown < total) return { items: [], line: total + " clients: type part of a name to find one." };
    var line;
    if (!q) line = total === 0 ? "No clients yet." : total === 1 ? "1 client." : total + " clients.";
    else if (total === 0) line = "No client matches \u201c" + q + "\u201d.";
    else if (shown < total) {
      line = "Showing " + shown + " of " + total + " clients matching \u201c" + q +
        "\u201d; type more of the name, or a date of birth (YYYY-MM-DD), to narrow the list.";
    } else if (total === 1) line = "1 client matches \u201c" + q + "\u201d.";
    else line = total + " clients match \u201c" + q + "\u201d.";
    return { items: items, line: line };
  }

  function choice(field, id, name, born, checked) {
    var label = document.createElement("label");
    label.className = "check";
    var input = document.createElement("input");
    input.type = "radio";
    input.name = field;
    input.value = id;
    input.checked = checked;
    var when = document.createElement("span");
    when.className = "muted";
    when.textContent = "born " + born;
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + name + " "));
    label.appendChild(when);
    return label;
  }

  var broken = false;
  var searches = [];

  pickers.forEach(function (picker) {
    var field = picker.getAttribute("data-field");
    var limit = picker.getAttribute("data-limit") || "20";
    var input = picker.querySelector("input[type='search']");
    var status = picker.querySelector("[role='status']");
    var list = picker.querySelector(".picker-choices");
    if (!field || !input || !status || !list) return;
    var timer = null, asked = 0, last = null;

    function redraw(q, page) {
      var checked = list.querySelector("input[type='radio']:checked");
      // "None" and the chosen client stay; everything else is replaced by the matches.
      list.querySelectorAll("label").forEach(function (label) {
        var radio = label.querySelector("input[type='radio']");
        if (!radio || (radio.value !== "" && radio !== checked)) label.remove();
      });
      var answer = offered(q, page.items, page.total);
      answer.items.forEach(function (c) {
        if (checked && checked.value === c.id) return;
        var name = c.preferred_name ? c.legal_name + " (" + c.preferred_name + ")" : c.legal_name;
        list.appendChild(choice(field, c.id, name, c.date_of_birth, false));
      });
      status.textContent = answer.line;
    }

    function search() {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      var mine = ++asked;
      var url = "/api/v1/clients?" + new URLSearchParams({ q: q, limit: limit });
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (j) {
            if (mine !== asked) return; // a later search has been asked for
            if (!r.ok || !Array.isArray(j.items)) throw new Error(j.message || ("status " + r.status));
            broken = false;
            redraw(q, j);
          });
        })
        .catch(function (e) {
          if (mine !== asked) return;
          broken = true;
          last = null;
          status.textContent = "The search did not work (" + e.message + "). Press Search to try again.";
        });
    }

    searches.push(search);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
  });

  // Enter in a search field or the Search button: search here instead of loading the page, unless a search failed.
  var forms = new Set();
  pickers.forEach(function (p) {
    var input = p.querySelector("input[type='search']");
    if (input && input.form) forms.add(input.form);
  });
  forms.forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (broken) return;
      e.preventDefault();
      searches.forEach(function (s) { s(); });
    });
  });
})();
