/* Charts of the flow and forecast pages, drawn with plotly (served by the app from the
   installed plotly package). Each .chart element carries its data as JSON in data-chart;
   its figure's "Download PNG" / "Download SVG" buttons export it for reports. */
(function () {
  "use strict";

  var PCT_COLOR = { 50: "#2f855a", 70: "#2b6cb0", 85: "#b7791f", 95: "#c53030" };
  var STAGE_COLORS = ["#2b6cb0", "#4299e1", "#38a169", "#d69e2e", "#dd6b20", "#805ad5", "#718096", "#e53e3e", "#319795", "#b83280"];
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    // The figure's own buttons export; plotly's PNG path loads a blob: image, which the
    // page's Content-Security-Policy (img-src 'self' data:) does not allow.
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"],
  };

  function layout(spec, extra) {
    var base = {
      title: { text: spec.title, font: { size: 15 }, x: 0.01, xanchor: "left" },
      margin: { l: 60, r: 20, t: 44, b: 50 },
      font: { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 12, color: "#1d2430" },
      hovermode: "closest",
      legend: { orientation: "h", y: -0.18 },
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
      height: 380,
    };
    var merged = Object.assign(base, extra || {});
    merged.yaxis = Object.assign({ automargin: true }, merged.yaxis || {});
    merged.xaxis = Object.assign({ automargin: true }, merged.xaxis || {});
    return merged;
  }

  function hline(x0, x1, y, name, percent, unit) {
    return {
      type: "scatter",
      mode: "lines",
      x: [x0, x1],
      y: [y, y],
      name: name,
      line: { color: PCT_COLOR[percent] || "#4a5568", dash: "dash", width: 1.5 },
      hovertemplate: name + "<extra></extra>",
    };
  }

  function vlines(values, spec, yLabel) {
    // A dashed vertical line per percentile, with its label at the top.
    var shapes = [];
    var annotations = [];
    values.forEach(function (p, i) {
      if (p.x === null || p.x === undefined) return;
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: p.x, x1: p.x, y0: 0, y1: 1,
        line: { color: PCT_COLOR[p.percent] || "#4a5568", dash: "dash", width: 1.5 } });
      annotations.push({ xref: "x", yref: "paper", x: p.x, y: 1 - i * 0.07, text: p.label, showarrow: false,
        xanchor: "left", font: { size: 11, color: PCT_COLOR[p.percent] || "#4a5568" }, bgcolor: "rgba(255,255,255,.8)" });
    });
    return { shapes: shapes, annotations: annotations };
  }

  var builders = {
    cfd: function (spec) {
      // Bottom to top: the last stage first, each filled up to the one below.
      var stages = spec.stages.slice().reverse();
      var traces = stages.map(function (s, i) {
        var color = STAGE_COLORS[(stages.length - 1 - i) % STAGE_COLORS.length];
        return {
          type: "scatter", mode: "lines", name: s.name, x: spec.days, y: s.values,
          fill: i === 0 ? "tozeroy" : "tonexty", line: { color: color, width: 1 }, xhoverformat: "%Y-%m-%d",
          hovertemplate: s.name + ": %{y}<extra></extra>",
        };
      });
      return { data: traces, layout: layout(spec, { hovermode: "x unified", hoverdistance: -1,
        legend: { orientation: "h", y: -0.18, traceorder: "reversed" },
        yaxis: { title: { text: "items (cumulative)" }, rangemode: "tozero" } }) };
    },

    scatter: function (spec) {
      var traces = [{
        type: "scatter", mode: "markers", name: "items done",
        x: spec.points.map(function (p) { return p.x; }),
        y: spec.points.map(function (p) { return p.y; }),
        customdata: spec.points.map(function (p) { return [p.item, p.committed]; }),
        marker: { color: "#2b6cb0", size: 7, opacity: 0.7 },
        xhoverformat: "%Y-%m-%d",
        hovertemplate: "#%{customdata[0]}: %{y} " + spec.unit + "<br>committed %{customdata[1]}, done %{x}<extra></extra>",
      }];
      Object.keys(spec.percentiles).forEach(function (p) {
        var v = spec.percentiles[p];
        if (v === null) return;
        traces.push(hline(spec.start, spec.end, v, p + "%: " + v + " " + spec.unit + " or less", p));
      });
      return { data: traces, layout: layout(spec, { yaxis: { title: { text: "cycle time (" + spec.unit + ")" }, rangemode: "tozero" },
        xaxis: { range: [spec.start, spec.end] } }) };
    },

    throughput: function (spec) {
      var partial = spec.days_in_week.map(function (n) { return n < 7; });
      var traces = [{
        type: "scatter", mode: "lines+markers", name: "items done in the week",
        x: spec.weeks, y: spec.values,
        customdata: spec.days_in_week,
        marker: { size: 8, color: "#2b6cb0", symbol: partial.map(function (p) { return p ? "circle-open" : "circle"; }) },
        line: { color: "#2b6cb0" },
        xhoverformat: "%Y-%m-%d",
        hovertemplate: "week of %{x}: %{y} items<br>(%{customdata} days of the window)<extra></extra>",
      }];
      if (spec.median !== null && spec.weeks.length) {
        traces.push(hline(spec.weeks[0], spec.weeks[spec.weeks.length - 1], spec.median, "median: " + spec.median + " a week", 50));
      }
      return { data: traces, layout: layout(spec, { yaxis: { title: { text: "items per week" }, rangemode: "tozero" } }) };
    },

    aging: function (spec) {
      var index = {};
      spec.stages.forEach(function (s, i) { index[s] = i; });
      function jitter(id) { return (((id * 2654435761) % 1000) / 1000 - 0.5) * 0.5; }
      var traces = [{
        type: "scatter", mode: "markers", name: "items in progress",
        x: spec.items.map(function (p) { return index[p.stage] + jitter(p.item); }),
        y: spec.items.map(function (p) { return p.age; }),
        customdata: spec.items.map(function (p) { return [p.item, p.stage]; }),
        marker: { color: "#1d2430", size: 8, opacity: 0.75 },
        hovertemplate: "#%{customdata[0]} in %{customdata[1]}: %{y} " + spec.unit + " old<extra></extra>",
      }];
      [50, 70, 85, 95].forEach(function (p) {
        var x = [], y = [], text = [];
        spec.stages.forEach(function (s, i) {
          var v = (spec.lines[s] || {})[p];
          if (v === null || v === undefined) return;
          x.push(i - 0.45, i + 0.45, null);
          y.push(v, v, null);
          text.push(s, s, null);
        });
        if (!x.length) return;
        traces.push({ type: "scatter", mode: "lines", name: p + "% left by this age", x: x, y: y, text: text,
          line: { color: PCT_COLOR[p], dash: "dash", width: 1.5 },
          hovertemplate: p + "% of finished items left %{text} by %{y} " + spec.unit + "<extra></extra>" });
      });
      return { data: traces, layout: layout(spec, {
        xaxis: { tickmode: "array", tickvals: spec.stages.map(function (s, i) { return i; }), ticktext: spec.stages,
          range: [-0.6, spec.stages.length - 0.4], zeroline: false },
        yaxis: { title: { text: "age (" + spec.unit + ")" }, rangemode: "tozero" } }) };
    },

    how_many: function (spec) {
      var marks = vlines(spec.percentiles.map(function (p) {
        return { x: p.value, percent: p.percent, label: p.percent + "%: at least " + p.value };
      }), spec);
      return { data: [{
        type: "bar", name: "probability", x: spec.items, y: spec.probabilities.map(function (p) { return p * 100; }),
        marker: { color: "#4299e1" },
        hovertemplate: "exactly %{x} items: %{y:.1f}%<extra></extra>",
      }], layout: layout(spec, Object.assign(marks, { showlegend: false, bargap: 0.1,
        xaxis: { title: { text: "items done" } }, yaxis: { title: { text: "probability (%)" }, rangemode: "tozero" } })) };
    },

    when: function (spec) {
      var marks = vlines(spec.percentiles.map(function (p) {
        return { x: p.date, percent: p.percent, label: p.percent + "% by " + p.date };
      }), spec);
      return { data: [{
        type: "bar", name: "probability", x: spec.dates, y: spec.probabilities.map(function (p) { return p * 100; }),
        marker: { color: "#4299e1" },
        xhoverformat: "%Y-%m-%d",
        hovertemplate: "done on %{x}: %{y:.1f}%<extra></extra>",
      }], layout: layout(spec, Object.assign(marks, { showlegend: false, bargap: 0.1,
        xaxis: { title: { text: "date the last item is done" }, type: "date" },
        yaxis: { title: { text: "probability (%)" }, rangemode: "tozero" } })) };
    },

    revenue: function (spec) {
      var traces = [];
      var order = ["95", "85", "70", "50"];
      var fills = { 95: "rgba(66,153,225,.10)", 85: "rgba(66,153,225,.18)", 70: "rgba(66,153,225,.26)", 50: "rgba(66,153,225,.34)" };
      order.forEach(function (p, i) {
        var custom = spec.target_chance.map(function (c) { return c === null ? "" : "<br>chance of the target by then: " + Math.round(c * 100) + "%"; });
        traces.push({
          type: "scatter", mode: "lines", name: p + "% chance of at least", x: spec.dates, y: spec.lines[p],
          fill: i === 0 ? "tozeroy" : "tonexty", fillcolor: fills[p], line: { color: PCT_COLOR[p], width: 1.5 },
          customdata: custom, xhoverformat: "%Y-%m-%d",
          hovertemplate: p + "% chance of at least %{y:,.0f} won by %{x}" + (p === "50" ? "%{customdata}" : "") + "<extra></extra>",
        });
      });
      var first = spec.dates[0], last = spec.dates[spec.dates.length - 1];
      if (spec.target !== null) {
        traces.push({ type: "scatter", mode: "lines", name: "target", x: [first, last], y: [spec.target, spec.target],
          line: { color: "#c53030", width: 2 }, hovertemplate: "target: %{y:,.0f}<extra></extra>" });
      }
      traces.push({ type: "scatter", mode: "lines", name: "weighted pipeline", x: [first, last],
        y: [spec.weighted_pipeline, spec.weighted_pipeline], line: { color: "#718096", dash: "dot", width: 2 },
        hovertemplate: "weighted pipeline: %{y:,.0f}<extra></extra>" });
      // Up to 12 dates across the plot: the label of the nearest one wherever the mouse is
      // (plotly's default shows none farther than 20 pixels from a point).
      return { data: traces, layout: layout(spec, { hovermode: "x unified", hoverdistance: -1,
        yaxis: { title: { text: "won revenue" }, rangemode: "tozero", tickformat: ",.0f" } }) };
    },

    calibration: function (spec) {
      var colors = ["#2b6cb0", "#2f855a", "#c05621"];
      var traces = [{ type: "scatter", mode: "lines", name: "perfectly calibrated", x: [0, 100], y: [0, 100],
        line: { color: "#a0aec0", dash: "dot" }, hoverinfo: "skip" }];
      spec.series.forEach(function (s, i) {
        if (!s.points.length) return;
        traces.push({
          type: "scatter", mode: "lines+markers", name: s.name,
          x: s.points.map(function (p) { return p.percent; }),
          y: s.points.map(function (p) { return Math.round(p.hit_rate * 1000) / 10; }),
          customdata: s.points.map(function (p) { return [p.hits, p.forecasts]; }),
          marker: { size: 9, color: colors[i % colors.length] }, line: { color: colors[i % colors.length] },
          hovertemplate: s.name + ": %{x}% forecasts came true %{y}% of the time<br>(%{customdata[0]} of %{customdata[1]})<extra></extra>",
        });
      });
      return { data: traces, layout: layout(spec, {
        xaxis: { title: { text: "forecast probability (%)" }, range: [40, 100], tickvals: [50, 70, 85, 95] },
        yaxis: { title: { text: "came true (%)" }, range: [0, 102] } }) };
    },
  };

  function draw(el) {
    var spec;
    try {
      spec = JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      el.textContent = "This chart's data could not be read.";
      return;
    }
    var build = builders[spec.kind];
    if (!build) return;
    var figure = build(spec);
    window.Plotly.newPlot(el, figure.data, figure.layout, CONFIG);
  }

  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function downloadPng(chart, name, width, height) {
    // The chart as SVG (a data: URL, which the policy allows), painted on a canvas at twice
    // the size for sharp print.
    var scale = 2;
    return window.Plotly.toImage(chart, { format: "svg", width: width, height: height }).then(function (url) {
      return new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () {
          var canvas = document.createElement("canvas");
          canvas.width = width * scale;
          canvas.height = height * scale;
          var ctx = canvas.getContext("2d");
          ctx.fillStyle = "#fff";
          ctx.fillRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
          canvas.toBlob(function (blob) {
            if (!blob) return reject(new Error("the PNG could not be made"));
            save(blob, name + ".png");
            resolve();
          }, "image/png");
        };
        img.onerror = function () { reject(new Error("the chart could not be drawn as an image")); };
        img.src = url;
      });
    });
  }

  function exportChart(button) {
    var box = button.closest(".chart-box");
    var chart = box && box.querySelector(".chart");
    if (!chart || !chart.data) return;
    var name = chart.getAttribute("data-filename") || "chart";
    var width = Math.max(chart.clientWidth, 800);
    var height = 450;
    var done = button.getAttribute("data-format") === "png"
      ? downloadPng(chart, name, width, height)
      : window.Plotly.downloadImage(chart, { format: "svg", filename: name, width: width, height: height });
    button.disabled = true;
    Promise.resolve(done).catch(function (error) {
      var note = box.querySelector(".export-error") || document.createElement("span");
      note.className = "export-error error";
      note.setAttribute("role", "alert");
      note.textContent = "Export failed: " + error.message;
      box.querySelector("figcaption").appendChild(note);
    }).then(function () { button.disabled = false; });
  }

  function start() {
    if (!window.Plotly) return;
    document.querySelectorAll(".chart[data-chart]").forEach(draw);
    document.addEventListener("click", function (event) {
      var button = event.target.closest(".chart-box .export button");
      if (button) exportChart(button);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
