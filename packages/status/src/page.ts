/**
 * The status page: one HTML document, one stylesheet and one script, served from strings (tsc emits only .ts, and
 * nothing has to be copied at build). No framework: the script polls two JSON endpoints and draws with the DOM and
 * SVG; the cluster layout arrives computed (graph.ts), so the script only draws it.
 *
 * XSS: everything that came from a peer (ids, cluster names, reasons, URLs) is untrusted. The script never builds
 * HTML from data: it sets `textContent` and `setAttribute` only, and offers a link only for an `http:`/`https:`
 * URL. The page is served with a Content-Security-Policy that forbids inline and foreign scripts, so even a
 * mistake would not run injected code.
 */

/** The Content-Security-Policy of the page and its assets. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The HTML document (`GET /`). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rumor node status</title>
<link rel="stylesheet" href="/status/app.css">
<script src="/status/app.js" defer></script>
</head>
<body>
<header>
  <div class="brand">Rumor</div>
  <div class="ident"><span id="node-id" class="mono">…</span> <span class="muted">cluster</span> <span id="node-cluster" class="mono">…</span></div>
  <span id="node-health" class="pill unknown">…</span>
  <span id="node-reasons" class="muted"></span>
  <span class="spacer"></span>
  <span class="muted">up <span id="node-uptime">…</span></span>
  <span id="conn" class="conn">connecting…</span>
</header>
<main>
  <section class="col">
    <div class="panel">
      <h2>Active view <span id="active-count" class="count"></span></h2>
      <ul id="active" class="peers"></ul>
      <h2>Passive view <span id="passive-count" class="count"></span></h2>
      <ul id="passive" class="peers compact"></ul>
    </div>
    <div class="panel">
      <h2>Maps</h2>
      <table id="maps"><thead><tr><th>map</th><th>keys</th><th>tombstones</th><th>AE rounds</th><th>pending</th></tr></thead><tbody></tbody></table>
      <p class="muted small">anti-entropy rounds in total: <span id="ae-rounds">0</span></p>
    </div>
    <div class="panel">
      <h2>Rejected inputs <span id="rejected-total" class="count"></span></h2>
      <table id="rejected"><thead><tr><th>layer</th><th>code</th><th>count</th></tr></thead><tbody></tbody></table>
    </div>
    <div class="panel">
      <h2>Traffic and queues</h2>
      <table id="traffic" class="kv"><tbody></tbody></table>
    </div>
    <div class="panel">
      <h2>Peer events</h2>
      <ol id="events" class="events"></ol>
    </div>
  </section>
  <section class="col wide">
    <div class="panel">
      <h2>Cluster <span id="cluster-count" class="count"></span> <span id="cluster-note" class="muted small"></span></h2>
      <div class="legend">
        <span><i class="dot ok"></i>ok</span><span><i class="dot degraded"></i>degraded</span><span><i class="dot failing"></i>failing</span>
        <span><i class="dot stale"></i>no answer</span><span><i class="dot unknown"></i>unknown</span>
        <span><i class="line eager"></i>eager (tree)</span><span><i class="line lazy"></i>lazy</span><span><i class="line mixed"></i>changing</span><span><i class="line one-way"></i>one-way</span>
      </div>
      <svg id="graph" viewBox="0 0 1000 700" role="img" aria-label="cluster overlay graph"></svg>
    </div>
    <div class="panel" id="details">
      <h2>Node <span id="detail-id" class="mono"></span></h2>
      <p id="detail-hint" class="muted">Click a node in the graph to see its status.</p>
      <table id="detail" class="kv"><tbody></tbody></table>
    </div>
  </section>
</main>
</body>
</html>
`;

/** The stylesheet (`GET /status/app.css`). */
export const PAGE_CSS = `
:root { --ok:#2f9e5b; --degraded:#d99a00; --failing:#d64541; --stale:#9aa5b1; --eager:#2b6cb0; --lazy:#a0aec0; --mixed:#805ad5; --oneway:#e53e3e;
  --bg:#f4f6f8; --panel:#fff; --ink:#1a202c; --muted:#718096; --line:#e2e8f0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 18px; background: #1a202c; color: #edf2f7; flex-wrap: wrap; }
header .brand { font-weight: 700; letter-spacing: .04em; }
header .muted { color: #a0aec0; }
.spacer { flex: 1; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.pill { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; text-transform: uppercase; background: var(--stale); color: #fff; }
.pill.ok { background: var(--ok); } .pill.degraded { background: var(--degraded); } .pill.failing { background: var(--failing); }
.conn { font-size: 12px; color: #a0aec0; } .conn.bad { color: #feb2b2; }
main { display: grid; grid-template-columns: minmax(300px, 380px) 1fr; gap: 14px; padding: 14px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
.col { display: flex; flex-direction: column; gap: 14px; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #4a5568; margin: 6px 0 8px; }
.count { color: var(--muted); font-weight: 400; }
h2 .mono { text-transform: none; letter-spacing: 0; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 3px 4px; }
td { padding: 3px 4px; border-bottom: 1px solid #f0f2f5; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td:first-child { color: var(--muted); width: 42%; }
ul.peers { list-style: none; margin: 0 0 8px; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
ul.peers li { border: 1px solid var(--line); border-radius: 6px; padding: 2px 8px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
ul.peers li .role { font-family: system-ui, sans-serif; font-size: 11px; margin-left: 6px; }
ul.peers li .role.eager { color: var(--eager); } ul.peers li .role.lazy { color: var(--muted); }
ul.peers.compact li { color: var(--muted); }
ol.events { list-style: none; margin: 0; padding: 0; max-height: 220px; overflow-y: auto; font-size: 12px; }
ol.events li { display: flex; gap: 8px; padding: 2px 0; border-bottom: 1px solid #f0f2f5; }
ol.events .up { color: var(--ok); } ol.events .down { color: var(--failing); }
ol.events .when { color: var(--muted); min-width: 62px; white-space: nowrap; }
ol.events .up, ol.events .down { white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: #4a5568; margin-bottom: 6px; }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.dot { width: 11px; height: 11px; border-radius: 50%; display: inline-block; background: var(--stale); }
.dot.ok { background: var(--ok); } .dot.degraded { background: var(--degraded); } .dot.failing { background: var(--failing); }
.dot.unknown { background: #fff; border: 1.5px dashed var(--stale); }
.line { width: 22px; height: 0; display: inline-block; border-top: 2px solid var(--lazy); }
.line.eager { border-top: 3px solid var(--eager); } .line.lazy { border-top: 2px dashed var(--lazy); }
.line.mixed { border-top: 2px dotted var(--mixed); } .line.one-way { border-top: 2px dashed var(--oneway); }
#graph { width: 100%; height: auto; display: block; background: #fbfcfd; border-radius: 6px; }
#graph .edge { stroke: #cbd5e0; stroke-width: 1.2; fill: none; }
#graph .edge.eager { stroke: var(--eager); stroke-width: 2.6; }
#graph .edge.lazy { stroke: var(--lazy); stroke-dasharray: 6 5; }
#graph .edge.mixed { stroke: var(--mixed); stroke-dasharray: 2 4; stroke-width: 2; }
#graph .edge.one-way { stroke: var(--oneway); stroke-dasharray: 8 4; stroke-width: 1.6; }
#graph .edge.dim { opacity: .18; }
#graph .edge.hot { stroke-width: 4; opacity: 1; }
#graph .node { cursor: pointer; outline: none; }
#graph .node:focus-visible circle { stroke: #ed64a6; stroke-width: 3; }
#graph .node circle { stroke: #fff; stroke-width: 2; fill: var(--stale); }
#graph .node.ok circle { fill: var(--ok); } #graph .node.degraded circle { fill: var(--degraded); }
#graph .node.failing circle { fill: var(--failing); }
#graph .node.unknown circle { fill: #fff; stroke: var(--stale); stroke-dasharray: 3 2; }
#graph .node.self circle { stroke: #1a202c; stroke-width: 3; }
#graph .node.selected circle { stroke: #ed64a6; stroke-width: 4; }
#graph .node text { font-size: 12px; fill: #2d3748; text-anchor: middle; paint-order: stroke; stroke: #fbfcfd; stroke-width: 3px; pointer-events: none; }
#graph.many .node text { font-size: 10px; }
a { color: var(--eager); }
`;

/** The script (`GET /status/app.js`). It must not build HTML from data: textContent and setAttribute only. */
export const PAGE_JS = `'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var NODE_MS = 2000, CLUSTER_MS = 5000;
  var cluster = null, selected = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function short(id, n) { id = String(id); return id.length > n ? id.slice(0, n - 1) + '\\u2026' : id; }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v.toLocaleString('en-US') : '0'; }
  function bytes(v) {
    if (typeof v !== 'number' || !isFinite(v)) return '0 B';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + u[i];
  }
  function duration(ms) {
    if (typeof ms !== 'number' || !isFinite(ms) || ms < 0) return '?';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  }
  function httpLink(url) {
    try { var u = new URL(String(url)); return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null; } catch (e) { return null; }
  }
  function row(tbody, cells, numeric) {
    var tr = el('tr');
    cells.forEach(function (c, i) { tr.appendChild(el('td', numeric && numeric[i] ? 'num' : '', c)); });
    tbody.appendChild(tr);
    return tr;
  }
  function emptyRow(tbody, span, text) { var tr = el('tr'); var td = el('td', 'empty', text); td.colSpan = span; tr.appendChild(td); tbody.appendChild(tr); }
  function kv(tbody, key, value) {
    var tr = el('tr'); tr.appendChild(el('td', '', key));
    var td = el('td'); if (value instanceof Node) td.appendChild(value); else td.textContent = String(value); tr.appendChild(td);
    tbody.appendChild(tr);
  }
  function getJson(path) {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, 15000);
    return fetch(path, { signal: ctrl.signal, cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .finally(function () { clearTimeout(timer); });
  }
  function setHealth(pill, state) {
    pill.className = 'pill ' + (['ok', 'degraded', 'failing'].indexOf(state) >= 0 ? state : 'unknown');
    pill.textContent = String(state);
  }

  // ---- this node -------------------------------------------------------------------------------------------
  function renderNode(r) {
    $('node-id').textContent = r.id;
    $('node-cluster').textContent = r.cluster;
    setHealth($('node-health'), r.health);
    $('node-reasons').textContent = r.reasons && r.reasons.length ? r.reasons.join(', ') : '';
    $('node-uptime').textContent = duration(r.uptimeMs);
    document.title = 'Rumor \\u00b7 ' + r.id;

    var active = $('active'); clear(active);
    $('active-count').textContent = '(' + r.active.length + ')';
    r.active.forEach(function (p) {
      var li = el('li', '', p.id);
      li.setAttribute('data-peer', p.id);
      li.appendChild(el('span', 'role ' + p.role, p.role === 'none' ? '' : p.role));
      active.appendChild(li);
    });
    if (!r.active.length) active.appendChild(el('li', 'empty', 'no active peers'));
    var passive = $('passive'); clear(passive);
    $('passive-count').textContent = '(' + r.passive.length + ')';
    r.passive.forEach(function (id) { passive.appendChild(el('li', '', id)); });
    if (!r.passive.length) passive.appendChild(el('li', 'empty', 'none'));

    var maps = $('maps').tBodies[0]; clear(maps);
    r.maps.forEach(function (m) {
      var tr = row(maps, [m.name + (m.walFailed ? ' (log failed)' : ''), num(m.keys), num(m.tombstones), num(m.antiEntropyRounds), num(m.pendingWrites)], [0, 1, 1, 1, 1]);
      tr.setAttribute('data-map', m.name);
    });
    if (!r.maps.length) emptyRow(maps, 5, 'no maps open');
    $('ae-rounds').textContent = num(r.antiEntropyRounds);

    var rej = $('rejected').tBodies[0]; clear(rej);
    $('rejected-total').textContent = '(' + num(r.rejected.total) + ')';
    r.rejected.rows.forEach(function (x) { row(rej, [x.layer, x.code, num(x.count)], [0, 0, 1]); });
    if (!r.rejected.rows.length) emptyRow(rej, 3, 'none');

    var t = $('traffic').tBodies[0]; clear(t);
    kv(t, 'messages in / out', num(r.traffic.messagesIn) + ' / ' + num(r.traffic.messagesOut));
    kv(t, 'bytes in / out', bytes(r.traffic.bytesIn) + ' / ' + bytes(r.traffic.bytesOut));
    kv(t, 'broadcasts delivered', num(r.traffic.delivered) + ' (' + num(r.traffic.duplicates) + ' duplicates)');
    kv(t, 'send queues', num(r.pending.sendQueueMessages) + ' msgs, ' + bytes(r.pending.sendQueueBytes));
    kv(t, 'broadcast queued / missing', num(r.pending.broadcastQueued) + ' / ' + num(r.pending.broadcastMissing));
    kv(t, 'writes awaiting fsync', num(r.pending.writes));
    kv(t, 'backpressure events', num(r.traffic.backpressure));

    var ev = $('events'); clear(ev);
    r.events.forEach(function (e) {
      var li = el('li');
      li.appendChild(el('span', 'when', duration(r.now - e.at) + ' ago'));
      li.appendChild(el('span', e.kind, e.kind === 'up' ? '\\u25b2 up' : '\\u25bc down' + (e.reason ? ' (' + e.reason + ')' : '')));
      li.appendChild(el('span', 'mono', e.peer));
      ev.appendChild(li);
    });
    if (!r.events.length) ev.appendChild(el('li', 'empty', 'no peer events yet'));
  }

  // ---- the cluster graph -----------------------------------------------------------------------------------
  function renderCluster(c) {
    cluster = c;
    var g = $('graph'); clear(g);
    g.setAttribute('viewBox', '0 0 ' + c.width + ' ' + c.height);
    var many = c.nodes.length > 20;
    g.classList.toggle('many', many);
    var r = c.nodes.length <= 10 ? 18 : c.nodes.length <= 25 ? 12 : 9;
    var pos = {};
    c.nodes.forEach(function (n) { pos[n.id] = n; });
    var edges = svg('g', { 'class': 'edges' });
    c.edges.forEach(function (e) {
      var a = pos[e.a], b = pos[e.b];
      if (!a || !b) return;
      var line = svg('line', { 'class': 'edge ' + e.kind, x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'data-a': e.a, 'data-b': e.b, 'data-kind': e.kind });
      var title = svg('title', {}); title.textContent = e.a + ' \\u2194 ' + e.b + ' (' + e.kind + ')'; line.appendChild(title);
      edges.appendChild(line);
    });
    g.appendChild(edges);
    var nodes = svg('g', { 'class': 'nodes' });
    c.nodes.forEach(function (n) {
      var grp = svg('g', { 'class': 'node ' + n.state + (n.self ? ' self' : ''), 'data-id': n.id, 'data-state': n.state, tabindex: 0, role: 'button' });
      grp.appendChild(svg('circle', { cx: n.x, cy: n.y, r: r }));
      var label = svg('text', { x: n.x, y: n.y + r + (many ? 11 : 14) }); label.textContent = short(n.id, many ? 12 : 20); grp.appendChild(label);
      var title = svg('title', {}); title.textContent = n.id + ' \\u2014 ' + n.state; grp.appendChild(title);
      grp.addEventListener('click', function () { select(n.id); });
      grp.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') select(n.id); });
      nodes.appendChild(grp);
    });
    g.appendChild(nodes);
    $('cluster-count').textContent = '(' + c.nodes.length + ' nodes, ' + c.edges.length + ' links)';
    $('cluster-note').textContent = c.complete ? '' : 'some nodes did not answer yet';
    if (selected !== null) select(selected);
  }

  function select(id) {
    selected = id;
    var node = null;
    if (cluster) cluster.nodes.forEach(function (n) { if (n.id === id) node = n; });
    Array.prototype.forEach.call(document.querySelectorAll('#graph .node'), function (e) {
      e.classList.toggle('selected', e.getAttribute('data-id') === id);
    });
    Array.prototype.forEach.call(document.querySelectorAll('#graph .edge'), function (e) {
      var touches = e.getAttribute('data-a') === id || e.getAttribute('data-b') === id;
      e.classList.toggle('hot', touches); e.classList.toggle('dim', !touches);
    });
    $('detail-id').textContent = id;
    $('detail-hint').textContent = node ? '' : 'This node is not in the cluster view any more.';
    var t = $('detail').tBodies[0]; clear(t);
    if (!node) return;
    var card = node.card;
    var state = el('span', 'pill ' + node.state, node.state);
    kv(t, 'state', state);
    if (!card) { kv(t, 'card', 'none: the node was named by a peer but never answered'); return; }
    if (card.reasons.length) kv(t, 'reasons', card.reasons.join(', '));
    kv(t, 'cluster', card.cluster);
    kv(t, 'uptime', duration(card.uptimeMs));
    kv(t, 'card age', node.self ? 'this node' : duration(node.ageMs));
    kv(t, 'active view (' + card.active.length + ')', card.active.join(', ') || 'none');
    kv(t, 'eager peers', card.eager.join(', ') || 'none');
    kv(t, 'lazy peers', card.lazy.join(', ') || 'none');
    kv(t, 'passive view', num(card.passiveCount));
    kv(t, 'maps / keys / tombstones', num(card.maps) + ' / ' + num(card.keys) + ' / ' + num(card.tombstones));
    kv(t, 'anti-entropy rounds', num(card.antiEntropyRounds));
    kv(t, 'rejected inputs', num(card.rejected));
    var href = card.http ? httpLink(card.http) : null;
    if (href) { var a = el('a', '', href); a.setAttribute('href', href); a.setAttribute('rel', 'noopener noreferrer'); kv(t, 'status page', a); }
  }

  function conn(ok, text) { var c = $('conn'); c.classList.toggle('bad', !ok); c.textContent = text; }

  function pollNode() {
    getJson('/status/node')
      .then(function (r) { renderNode(r); conn(true, 'live \\u00b7 ' + new Date().toLocaleTimeString()); })
      .catch(function (e) { conn(false, 'node unreachable (' + e.message + ')'); })
      .finally(function () { setTimeout(pollNode, NODE_MS); });
  }
  function pollCluster() {
    getJson('/status/cluster')
      .then(renderCluster)
      .catch(function (e) { $('cluster-note').textContent = 'cluster view failed (' + e.message + ')'; })
      .finally(function () { setTimeout(pollCluster, CLUSTER_MS); });
  }
  pollNode();
  pollCluster();
})();
`;
