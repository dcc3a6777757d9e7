/* The Last Planner pages (planner_*.html): each form with data-api sends its fields as JSON to
   the API (with the session's CSRF token) and reloads the page when it succeeds, or shows the
   server's message beside the form. The metrics page draws its trend and Pareto with plotly
   when the installed plotly has loaded; the tables carry the same numbers. */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function value(el) {
    var type = el.dataset.type;
    if (type === "ints") {
      return Array.prototype.map.call(el.selectedOptions, function (o) { return parseInt(o.value, 10); });
    }
    if (type === "reasons") {
      return el.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
        var parts = line.split("|").map(function (p) { return p.trim(); });
        return { code: parts[0], label: parts[1] || parts[0], needs_five_why: /5-why/i.test(parts[2] || "") };
      });
    }
    if (el.type === "checkbox") return el.checked;
    if (type === "int") return el.value === "" ? null : parseInt(el.value, 10);
    return el.value;
  }

  function fields(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.closest("fieldset.outcome")) return;
      if (el.type === "radio" && !el.checked) return;
      var v = value(el);
      if (v === null || (v === "" && ("skipEmpty" in el.dataset || el.type === "date"))) return;
      if (v === "" && el.name === "override_reason") return;
      body[el.name] = v;
    });
    return body;
  }

  function outcomes(form) {
    // The week close form: one fieldset per promise.
    return Array.prototype.map.call(form.querySelectorAll("fieldset.outcome"), function (set) {
      var done = set.querySelector('input[type="radio"]:checked');
      var reason = set.querySelector('select[name="reason"]').value;
      var outcome = {
        promise_id: parseInt(set.dataset.promise, 10),
        done: done ? done.value === "true" : false,
        five_whys: Array.prototype.map.call(set.querySelectorAll('input[name="why"]'), function (i) { return i.value.trim(); })
          .filter(Boolean),
        note: set.querySelector('input[name="note"]').value,
      };
      if (!outcome.done && reason) outcome.reason = reason;
      return outcome;
    });
  }

  function show(form, message) {
    var out = form.querySelector(".api-error");
    if (out) out.textContent = message;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.api) return;
    event.preventDefault();
    var body = form.dataset.close ? { week: form.dataset.close, outcomes: outcomes(form) } : fields(form);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    show(form, "");
    fetch(form.dataset.api, {
      method: form.dataset.method || "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        if (response.ok) {
          if (form.dataset.next) window.location.assign(form.dataset.next);
          else window.location.reload();
          return null;
        }
        return response.json().then(
          function (answer) { show(form, (answer.error && answer.error.message) || response.statusText); },
          function () { show(form, "The server answered " + response.status + "."); }
        );
      })
      .catch(function () { show(form, "The server could not be reached; try again."); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  // The weekly plan follows the team's promises and check-ins: an at-risk promise shows at
  // once. The page reloads when it changes, unless someone is typing in it.
  var live = document.querySelector(".planner[data-live]");
  if (live) {
    window.setInterval(function () {
      if (document.hidden) return;
      fetch(live.dataset.live, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (plan) {
          if (!plan) return;
          var now = plan.promises.map(function (p) { return p.id + ":" + (p.status || ""); }).join(",");
          if (now === live.dataset.signature) return;
          var typing = document.activeElement && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
          if (typing) live.querySelector(".live-notice").hidden = false;
          else window.location.reload();
        })
        .catch(function () {});
    }, 3000);
  }

  function draw() {
    var trend = document.getElementById("planner-trend");
    if (!trend || !window.Plotly) return;
    var data = JSON.parse(trend.dataset.chart);
    var colors = { ppc: "#2b6cb0", ta: "#38a169", tmr: "#d69e2e", pcr: "#805ad5" };
    var traces = Object.keys(colors).map(function (key) {
      return {
        type: "scatter", mode: "lines+markers", name: key.toUpperCase(), x: data.weeks, y: data.trend[key],
        line: { color: colors[key] }, connectgaps: false,
      };
    });
    var layout = {
      title: { text: "Trend", font: { size: 15 }, x: 0.01, xanchor: "left" },
      margin: { l: 50, r: 20, t: 40, b: 40 }, height: 320, yaxis: { range: [0, 105], ticksuffix: "%" },
      legend: { orientation: "h", y: -0.2 },
    };
    var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d"] };
    window.Plotly.newPlot(trend, traces, layout, config);
    var pareto = document.getElementById("planner-pareto");
    if (pareto && data.pareto.length) {
      var labels = data.pareto.map(function (p) { return p.label; });
      window.Plotly.newPlot(pareto, [
        { type: "bar", name: "Misses", x: labels, y: data.pareto.map(function (p) { return p.count; }), marker: { color: "#c53030" } },
        {
          type: "scatter", mode: "lines+markers", name: "Cumulative %", x: labels, yaxis: "y2",
          y: data.pareto.map(function (p) { return p.cumulative; }), line: { color: "#4a5568" },
        },
      ], {
        title: { text: "Pareto", font: { size: 15 }, x: 0.01, xanchor: "left" },
        margin: { l: 50, r: 50, t: 40, b: 80 }, height: 320,
        yaxis2: { overlaying: "y", side: "right", range: [0, 105], ticksuffix: "%" },
        legend: { orientation: "h", y: -0.35 },
      }, config);
    }
  }

  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
})();
