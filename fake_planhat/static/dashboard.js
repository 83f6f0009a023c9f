// fake-planhat dashboard: refresh the live parts every few seconds, pausable.
// The page works without this script; it only swaps in the server's fresh rendering of each
// part (already escaped) when it changed, keeping open <details> and a control in use.
(function () {
  "use strict";
  var main = document.getElementById("live");
  if (!main || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = main.getAttribute("data-live-url");
  var period = parseInt(main.getAttribute("data-poll-ms"), 10) || 2000;
  var controls = document.getElementById("live-controls");
  var toggle = document.getElementById("live-toggle");
  var status = document.getElementById("live-status");
  var busyTags = { SELECT: true, INPUT: true, TEXTAREA: true, BUTTON: true };
  var pausedKey = "fake-planhat.dashboard.paused";
  var paused = remembered();
  var timer = null;
  var seen = {}; // part id -> the server's last rendering of it

  document.querySelectorAll(".live-part").forEach(function (part) {
    seen[part.id] = part.outerHTML;
  });

  function remembered() {
    try {
      return window.sessionStorage.getItem(pausedKey) === "1";
    } catch (error) {
      return false; // storage switched off: live by default
    }
  }

  function remember() {
    try {
      window.sessionStorage.setItem(pausedKey, paused ? "1" : "0");
    } catch (error) {
      // storage switched off: the choice lasts until the page is left
    }
  }

  function busy(part) {
    var active = document.activeElement;
    return !!active && busyTags[active.tagName] === true && part.contains(active);
  }

  function swap(fresh) {
    var old = document.getElementById(fresh.id);
    if (!old || seen[fresh.id] === fresh.outerHTML || busy(old)) {
      return;
    }
    var open = {};
    old.querySelectorAll("details[open][data-key]").forEach(function (d) {
      open[d.getAttribute("data-key")] = true;
    });
    var node = document.importNode(fresh, true);
    node.querySelectorAll("details[data-key]").forEach(function (d) {
      if (open[d.getAttribute("data-key")]) {
        d.open = true;
      }
    });
    seen[fresh.id] = fresh.outerHTML;
    old.replaceWith(node);
  }

  function show(text) {
    status.textContent = text;
  }

  function poll() {
    timer = null;
    if (paused) {
      return;
    }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll(".live-part").forEach(swap);
        show("live · updated " + new Date().toLocaleTimeString());
      })
      .catch(function (error) {
        show("live update failed (" + error.message + "); retrying");
      })
      .then(schedule);
  }

  function schedule() {
    if (!paused && timer === null) {
      timer = window.setTimeout(poll, period);
    }
  }

  function render() {
    toggle.textContent = paused ? "Resume live updates" : "Pause live updates";
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    if (paused) {
      show("paused");
    }
  }

  toggle.addEventListener("click", function () {
    paused = !paused;
    remember();
    render();
    if (paused && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    schedule();
  });

  var select = document.getElementById("tenant-select");
  if (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }

  controls.hidden = false;
  render();
  schedule();
})();
