/* Dashboards: ECharts charts drawn from the same JSON as the tables beside them, and the
   progress of long jobs (exports, bulk re-match, imports) polled until they finish. */
(function () {
  "use strict";

  var wan = function (yuan) { return Math.round(yuan / 100) / 100; };

  function bar(categories, series, horizontal) {
    var category = { type: "category", data: categories, axisLabel: { interval: 0, rotate: horizontal ? 0 : 30 } };
    var value = { type: "value" };
    return {
      tooltip: { trigger: "axis" },
      legend: series.length > 1 ? {} : undefined,
      grid: { left: 60, right: 20, bottom: 80, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    };
  }

  function money(rows) {
    return bar(
      rows.map(function (r) { return r.label; }),
      [
        { name: "需求金额（万元）", data: rows.map(function (r) { return wan(r.asked_yuan); }) },
        { name: "授信金额（万元）", data: rows.map(function (r) { return wan(r.approved_yuan); }) },
        { name: "放款金额（万元）", data: rows.map(function (r) { return wan(r.disbursed_yuan); }) }
      ]
    );
  }

  var builders = {
    by_status: function (d) {
      return bar(d.by_status.map(function (r) { return r.label; }),
        [{ name: "案件数", data: d.by_status.map(function (r) { return r.count; }) }]);
    },
    by_bank: function (d) { return money(d.by_bank); },
    by_chain: function (d) { return money(d.by_chain); },
    by_size: function (d) { return money(d.by_size); },
    by_month: function (d) {
      var option = money(d.by_month);
      option.series.forEach(function (s) { s.type = "line"; });
      return option;
    },
    declines: function (d) {
      return {
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: "60%", data: d.declines.map(function (r) { return { name: r.label, value: r.count }; }) }]
      };
    },
    applications: function (d) {
      var rows = d.applications || [];
      return bar(rows.map(function (r) { return r.title; }), [
        { name: "申报数", data: rows.map(function (r) { return r.count; }) },
        { name: "兑现笔数", data: rows.map(function (r) { return r.paid; }) }
      ]);
    },
    most_viewed: function (d) {
      var rows = (d.most_viewed || []).slice().reverse();
      return bar(rows.map(function (r) { return r.title; }), [{ name: "浏览次数", data: rows.map(function (r) { return r.views; }) }], true);
    },
    most_matched: function (d) {
      var rows = (d.most_matched || []).slice().reverse();
      return bar(rows.map(function (r) { return r.title; }), [{ name: "次数", data: rows.map(function (r) { return r.matched; }) }], true);
    }
  };

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var build = builders[node.getAttribute("data-chart")];
      if (!build) { return; }
      var chart = echarts.init(node, null, { renderer: "svg" });
      chart.setOption(build(data));
      node.setAttribute("data-rendered", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function poll(box) {
    var url = box.getAttribute("data-job-url");
    var status = box.getAttribute("data-job-status");
    if (status === "done" || status === "failed") { return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        box.setAttribute("data-job-status", job.status);
        box.querySelector("progress").value = job.progress;
        box.querySelector(".job-percent").textContent = job.progress + "%";
        box.querySelector(".job-status").textContent = job.status_label +
          (job.message ? "，" + job.message : "") + (job.error ? "，" + job.error : "");
        if (job.download) {
          var link = box.querySelector(".job-download");
          link.href = job.download;
          link.hidden = false;
        }
        if (job.status !== "done" && job.status !== "failed") {
          window.setTimeout(function () { poll(box); }, 1500);
        } else if (job.problems && job.problems.length && !document.getElementById("import-errors")) {
          window.location.reload();  // the page lists the problems (an import's bad rows)
        }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, 5000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    document.querySelectorAll(".job-progress").forEach(poll);
  });
})();
