// Ferry's dashboard: one EventSource on /api/live, redrawn on every snapshot. No build step.
(() => {
  "use strict";
  const WINDOW_SECONDS = 300;
  const DONE_LINGER_MS = 8000; // a finished transfer's bar stays at 100% this long before it leaves "Moving now"

  const $ = (id) => document.getElementById(id);
  // Sizes in binary units, as file managers and ls -h show them: 842 B, 4.0 KiB, 50.0 MiB, 1.00 GiB.
  const size = (bytes) => {
    if (bytes == null) return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = bytes, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return u === 0 ? v + " B" : v.toFixed(v < 10 ? 2 : 1) + " " + units[u];
  };
  const rate = (bps) => bps == null ? "" : (bps / 1e6).toFixed(1) + " MB/s";
  const seconds = (a, b) => a && b ? ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1) + " s" : "";
  const time = (t) => t ? new Date(t).toLocaleTimeString() : "";
  const key = (t) => t.side + ":" + t.id;
  const cell = (text, cls) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  };

  // Throughput of the last five minutes, kept by the server (/api/live/throughput): loaded when the feed (re)connects,
  // then one point a second from the snapshots. The x axis always spans five minutes, so its ticks read as times.
  const xs = [], sent = [], received = [];
  const chart = new uPlot({
    width: Math.max(320, $("chart").clientWidth || 800), height: 180,
    series: [{},
      { label: "sent MB/s", stroke: "#12355b", fill: "#12355b22", width: 2 },
      { label: "received MB/s", stroke: "#2e8540", width: 2 }],
    axes: [{ space: 90 }, { label: "MB/s" }],
    scales: {
      x: { time: true, range: (u, min, max) => {
        const end = max == null ? Date.now() / 1000 : max;
        return [end - WINDOW_SECONDS, end];
      } },
      y: { range: (u, min, max) => [0, Math.max(1, max || 0)] },
    },
  }, [xs, sent, received], $("chart"));
  // Also says on the chart's element what it shows (points, peak MB/s), for scripts and the browser test.
  function draw() {
    chart.setData([xs, sent, received]);
    const el = $("chart");
    el.dataset.points = xs.length;
    el.dataset.peak = Math.max(0, ...sent, ...received).toFixed(2);
  }
  function showRate(out, inn) {
    $("rate").textContent = [out > 0 ? "sending " + rate(out * 1e6) : "", inn > 0 ? "receiving " + rate(inn * 1e6) : ""]
      .filter((x) => x).join(" · ");
  }
  function loadThroughput() {
    fetch("/api/live/throughput").then((r) => r.json()).then((h) => {
      xs.length = 0; sent.length = 0; received.length = 0;
      xs.push(...h.at); sent.push(...h.sent); received.push(...h.received);
      draw();
    }).catch(() => {});
  }

  // Finished transfers seen moving: kept at 100% for a moment so the bar visibly completes.
  const lingering = new Map();

  function row(t, done) {
    const tr = document.createElement("tr");
    tr.dataset.id = t.id;
    tr.dataset.side = t.side;
    tr.dataset.path = t.path;
    const pct = done ? 100 : t.size > 0 ? Math.floor(100 * t.bytesDone / t.size) : (t.chunksDone >= t.chunksTotal ? 100 : 0);
    tr.append(cell(t.side), cell(t.route), cell(t.path, "path"));
    const td = document.createElement("td");
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = pct;
    const label = document.createElement("span");
    label.className = "pct";
    label.textContent = pct + "%";
    td.append(bar, label);
    tr.append(td, cell(size(t.size)), cell(rate(t.rate)),
      cell((done ? done : t.state).toLowerCase(), "state-" + (done ? done : t.state).toLowerCase()));
    return tr;
  }

  function render(s) {
    const now = Date.now();
    const moving = new Map(s.inFlight.map((t) => [key(t), t]));
    for (const t of s.recent) {
      const k = key(t);
      if (!moving.has(k) && shown.has(k) && !lingering.has(k)) lingering.set(k, { t, until: now + DONE_LINGER_MS });
    }
    for (const [k, v] of lingering) if (v.until < now || moving.has(k)) lingering.delete(k);

    const body = $("in-flight").tBodies[0];
    body.replaceChildren();
    shown.clear();
    [...moving.values()].sort((a, b) => a.startedAt < b.startedAt ? 1 : -1).forEach((t) => {
      body.append(row(t));
      shown.add(key(t));
    });
    for (const [k, v] of lingering) body.append(row(v.t, v.t.state));
    $("in-flight-empty").hidden = body.rows.length > 0;
    const more = (s.inFlightTotal || 0) - s.inFlight.length;
    $("in-flight-more").hidden = more <= 0;
    $("in-flight-more").textContent = more > 0 ? "and " + more + " more in flight (waiting or stalled; see /api/transfers)" : "";
    const cap = s.capacity;
    const full = cap && cap.unfinished >= cap.max;
    $("capacity").hidden = !(cap && (full || cap.refused > 0));
    if (cap) {
      $("capacity").textContent = (full ? "Consumer full: " : "Consumer: ") + cap.unfinished + " of " + cap.max
        + " unfinished transfers (ferry.max-unfinished-transfers); " + cap.refused + " refused since start, their producers send them again later";
    }

    const failures = $("failures").tBodies[0];
    failures.replaceChildren();
    s.recent.filter((t) => ["FAILED", "QUARANTINED", "EXPIRED", "SKIPPED"].includes(t.state)).forEach((t) => {
      const tr = document.createElement("tr");
      tr.append(cell(time(t.finishedAt)), cell(t.side), cell(t.path, "path"),
        cell(t.state.toLowerCase(), "state-" + t.state.toLowerCase()), cell(t.error || "", "path"));
      failures.append(tr);
    });
    $("failures-empty").hidden = failures.rows.length > 0;

    const dead = $("dead-letters").tBodies[0];
    dead.replaceChildren();
    (s.deadLetters || []).forEach((d) => {
      const tr = document.createElement("tr");
      tr.append(cell(time(d.at)), cell(d.source), cell(d.key || "", "path"), cell(d.category), cell(d.reason, "path"));
      dead.append(tr);
    });
    $("dead-letters-empty").hidden = dead.rows.length > 0;

    // One row per transfer: where a process runs both roles, its two sides (same transfer id) share the row,
    // which shows the consumer's outcome (the file's fate) and each side's state.
    const history = $("history").tBodies[0];
    history.replaceChildren();
    const byTransfer = new Map();
    s.recent.forEach((t) => {
      const row = byTransfer.get(t.id) || {};
      row[t.side] = t;
      byTransfer.set(t.id, row);
    });
    byTransfer.forEach((row, id) => {
      const main = row.consumer || row.producer;
      const first = row.producer || main;
      const last = [row.producer, row.consumer].filter((x) => x)
        .reduce((a, b) => (Date.parse(a.finishedAt) >= Date.parse(b.finishedAt) ? a : b));
      const tr = document.createElement("tr");
      tr.dataset.id = id;
      tr.dataset.path = main.path;
      tr.dataset.state = main.state.toLowerCase();
      if (row.producer) tr.dataset.producerState = row.producer.state.toLowerCase();
      if (row.consumer) tr.dataset.consumerState = row.consumer.state.toLowerCase();
      const sides = ["producer", "consumer"].filter((side) => row[side])
        .map((side) => side + " " + row[side].state.toLowerCase()).join(" · ");
      tr.append(cell(time(last.finishedAt)), cell(main.route), cell(main.path, "path"),
        cell(main.state.toLowerCase(), "state-" + main.state.toLowerCase()), cell(sides), cell(size(main.size)),
        cell(seconds(first.startedAt, last.finishedAt)), cell(rate(main.rate)));
      history.append(tr);
    });

    const routes = $("routes");
    routes.replaceChildren(...s.routes.map((r) => {
      const li = document.createElement("li");
      li.textContent = r;
      return li;
    }));

    const p = s.throughput;
    if (p && (!xs.length || p.at > xs[xs.length - 1])) {
      xs.push(p.at);
      sent.push(p.sent);
      received.push(p.received);
      while (xs.length && xs[0] < p.at - WINDOW_SECONDS) { xs.shift(); sent.shift(); received.shift(); }
      draw();
      showRate(p.sent, p.received);
    }
  }

  const shown = new Set();
  function connect() {
    const events = new EventSource("/api/live");
    events.onopen = () => {
      $("connection").textContent = "live";
      $("connection").className = "badge live";
      document.body.classList.remove("stale");
      loadThroughput();
    };
    events.onmessage = (e) => render(JSON.parse(e.data));
    // The browser reconnects by itself; until then the page says that what it shows is no longer live.
    events.onerror = () => {
      $("connection").textContent = "offline since " + new Date().toLocaleTimeString() + ", reconnecting…";
      $("connection").className = "badge down";
      document.body.classList.add("stale");
    };
  }
  // Who sees the page: a logged-in name with a way out, or a plain warning that anyone who reaches the port can.
  function access() {
    fetch("/api/access").then((r) => r.json()).then((a) => {
      const el = $("access");
      if (a.open) {
        el.textContent = "open: no login (ferry.http.auth=off)";
        el.className = "access open";
      } else if (a.user) {
        el.textContent = a.user + " · ";
        const out = document.createElement("a");
        out.href = "/logout";
        out.textContent = "log out";
        el.appendChild(out);
      }
    }).catch(() => {});
  }
  window.addEventListener("resize", () => chart.setSize({ width: $("chart").clientWidth || 800, height: 180 }));
  access();
  connect();
})();
