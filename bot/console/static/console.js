// Aajel editors' console: live preview, live progress (server-sent events), confirmations.
// Plain JavaScript, no dependencies; every page works without it (forms post normally).
"use strict";
(function () {
  var csrfField = document.querySelector('input[name="csrf"]');
  var csrf = csrfField ? csrfField.value : "";  // read once: the session's token for this page

  // --- compose: live preview and audience, from the server's renderer ---------------------------
  var form = document.getElementById("compose-form");
  if (form) {
    var preview = document.getElementById("preview");
    var audience = document.getElementById("audience");
    var problem = document.getElementById("problem");
    var timer = null;
    var seq = 0;
    var refresh = function () {
      var mine = ++seq;
      var data = {
        headline: form.headline.value,
        details: form.details.value,
        link: form.link.value,
        level: (form.querySelector('input[name="level"]:checked') || {}).value,
        topics: Array.prototype.map.call(form.querySelectorAll('input[name="topics"]:checked'), function (box) {
          return box.value;
        })
      };
      form.dataset.pending = "1";
      fetch(form.dataset.preview, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(data)
      }).then(function (response) {
        if (!response.ok) { throw new Error("preview " + response.status); }
        return response.json();
      }).then(function (body) {
        if (mine !== seq) { return; }
        preview.innerHTML = body.html;  // Telegram HTML built and escaped by the server's renderer
        preview.dataset.html = body.html;
        audience.textContent = String(body.audience);
        problem.textContent = body.problem || "";
        problem.hidden = !body.problem;
        form.dataset.pending = "";
        form.dataset.previews = String(Number(form.dataset.previews || "0") + 1);
      }).catch(function () { form.dataset.pending = ""; });
    };
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  // --- alert page: live progress pushed by the server ---------------------------------------------
  var live = document.getElementById("live");
  if (live && window.EventSource) {
    var source = new EventSource(live.dataset.events);
    var bar = document.getElementById("progress");
    var fill = document.getElementById("progress-fill");
    var status = document.getElementById("p-status");
    var set = function (id, value) { document.getElementById(id).textContent = value === null ? "—" : String(value); };
    live.dataset.events_received = "0";
    source.addEventListener("progress", function (message) {
      var p = JSON.parse(message.data);
      live.dataset.events_received = String(Number(live.dataset.events_received) + 1);
      bar.setAttribute("aria-valuenow", String(p.percent));
      fill.style.width = p.percent + "%";
      set("p-sent", p.sent);
      set("p-failed", p.failed);
      set("p-remaining", p.remaining);
      set("p-rate", p.rate);
      set("p-eta", p.finished ? p.took : p.eta);
      set("p-percent", p.percent + "%");
    });
    source.addEventListener("done", function () {
      source.close();
      live.dataset.finished = "1";
      status.textContent = status.dataset.done;
    });
    ["gone", "signedout"].forEach(function (name) {
      source.addEventListener(name, function () { source.close(); live.dataset.finished = name; });
    });
  }

  // --- confirmations on destructive forms -------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
