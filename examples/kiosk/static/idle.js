// The kiosk's idle reset, with a warning (WCAG 2.2.1 "Timing Adjustable").
// Every screen but the first is forgotten when left alone: the server
// drops the visit after data-idle seconds. data-warn seconds before that,
// this shows a dialog with a countdown and "More time"; asking for more
// time tells the kiosk (POST /still-here), which restarts the timer. When
// the time is up the screen goes back to the start, so the next person
// never sees the last one's details. Loaded from the kiosk itself, as the
// CSP (script-src 'self', no inline script) allows.
(function () {
  "use strict";
  var body = document.body;
  var idle = Number(body.getAttribute("data-idle"));
  var warn = Number(body.getAttribute("data-warn"));
  var dialog = document.getElementById("idle-warning");
  var count = document.getElementById("idle-count");
  var more = document.getElementById("idle-more");
  if (!idle || !dialog || !count || !more) {
    return;
  }
  var deadline = 0;
  var warnTimer = 0;
  var tick = 0;

  function startOver() {
    window.location.replace("/?m=idle");
  }

  function update() {
    var left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      window.clearInterval(tick);
      startOver();
      return;
    }
    count.textContent = String(left);
  }

  function showWarning() {
    update();
    if (!dialog.open) {
      dialog.showModal();
      more.focus();
    }
    tick = window.setInterval(update, 1000);
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearInterval(tick);
    deadline = Date.now() + idle * 1000;
    warnTimer = window.setTimeout(showWarning, Math.max(0, idle - warn) * 1000);
  }

  more.addEventListener("click", function () {
    window.fetch("/still-here", { method: "POST", credentials: "same-origin" }).then(function (res) {
      if (res.status === 410) {
        startOver();
        return;
      }
      dialog.close();
      schedule();
    }, function () {
      // The kiosk did not answer: keep the countdown; the reset still
      // protects the visitor.
    });
  });
  // Escape closes a modal dialog; treat it as "More time" rather than
  // letting the countdown run on unseen.
  dialog.addEventListener("cancel", function (e) {
    e.preventDefault();
    more.click();
  });
  schedule();
})();
