// Public booking: show times in the visitor's own zone. The page comes in the practice's zone (all that is known
// without script); when the browser reports another zone that the list offers, the page is asked again in it, as
// if the visitor had chosen it. A zone the visitor chose (in the address) is left alone. Without this script the
// list still works: choose a zone and press Show.
(function () {
  "use strict";
  var form = document.getElementById("tz-form");
  var select = document.getElementById("tz");
  if (!form || !select || form.getAttribute("data-chosen") === "yes") return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || zone === select.value) return;
  var offered = false;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) offered = true;
  }
  if (!offered) return;
  select.value = zone;
  form.submit();
})();
