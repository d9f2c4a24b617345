/* xxgk audit.html: draws the summary, the listing and a report's detail from the data embedded in the page.
   The state (filters, page, open report) is the address's #part, so every link keeps it and Back works. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('xxgk-index').textContent);
  var C = {};
  D.columns.forEach(function (c, i) { C[c] = i; });
  var R = D.reports, RULES = D.rules, BLOCK = D.block, PAGE = 50, GPAGE = 30;
  var KEYS = ['q', 'year', 'province', 'rule', 'severity', 'reading', 'read', 'rec', 'p', 'report', 'g'];
  var TABLE_TITLE = D.titles;
  var byId = {};
  R.forEach(function (r, i) { if (r[C.rid]) byId[r[C.rid]] = i; });
  var blocks = {}, S = {};

  function $(id) { return document.getElementById(id); }
  function esc(x) {
    return x === null || x === undefined ? '' : String(x).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function fig(x) {  // a figure in full: 73802895.9, never 7.38029e+07
    if (x === null || x === undefined || x === '') return '';
    if (typeof x !== 'number') return String(x);
    var s = Math.abs(x) < 1e21 ? x.toFixed(6).replace(/\.?0+$/, '') : String(x);
    return s === '-0' || s === '' ? '0' : s;
  }
  function block(n) {
    if (!(n in blocks)) {
      var el = $('xxgk-block-' + n);
      blocks[n] = el ? JSON.parse(el.textContent) : [];
    }
    return blocks[n];
  }
  function detail(i) { return block(R[i][C.blk])[i % BLOCK] || {t: {}, f: []}; }
  function recText(v) { return v === true ? 'true' : v === false ? 'false' : 'unknown'; }
  function province(r) { return r[C.province] || '（未知）'; }

  // --- the state in the address
  function readHash() {
    S = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var k = kv.indexOf('=');
      if (k > 0 && KEYS.indexOf(kv.slice(0, k)) >= 0) S[kv.slice(0, k)] = decodeURIComponent(kv.slice(k + 1));
    });
  }
  function link(change) {  // the address with the current state changed: every link keeps the filters
    var st = {}, k, h = [];
    for (k in S) st[k] = S[k];
    for (k in change) {
      if (change[k] === null || change[k] === '' || change[k] === undefined) delete st[k];
      else st[k] = String(change[k]);
    }
    KEYS.forEach(function (k) { if (st[k]) h.push(k + '=' + encodeURIComponent(st[k])); });
    return '#' + h.join('&');
  }
  function go(change) {
    var h = link(change);
    if (h === '#') h = '#all';
    if (location.hash === h) render(); else location.hash = h;
  }

  // --- which reports and failures the filters keep
  function failCount(fe) {  // fe: [rule, failures, of them may be a misread]
    var rule = RULES[fe[0]] || [];
    if (S.rule && rule[0] !== S.rule) return 0;
    if (S.severity && rule[2] !== S.severity) return 0;
    if (S.reading === 'may-be-misread') return fe[2];
    if (S.reading === 'as-printed') return fe[1] - fe[2];
    return fe[1];
  }
  function kept(r) {
    if (S.year && String(r[C.year]) !== S.year) return false;
    if (S.province && province(r) !== S.province) return false;
    if (S.read && r[C.read] !== S.read) return false;
    if (S.rec && recText(r[C.rec]) !== S.rec) return false;
    if (S.q && ((r[C.agency] || '') + ' ' + r[C.file]).toLowerCase().indexOf(S.q.toLowerCase()) < 0) return false;
    if (S.rule || S.severity || S.reading) {
      var n = 0;
      r[C.f].forEach(function (fe) { n += failCount(fe); });
      if (!n) return false;
    }
    return true;
  }

  // --- filters
  function options(id, values, all) {
    var el = $(id), html = '<option value="">' + (all || '全部 all') + '</option>';
    values.forEach(function (v) { html += '<option value="' + esc(v[0]) + '">' + esc(v[1]) + '</option>'; });
    el.innerHTML = html;
    el.addEventListener('change', function () { var c = {p: null}; c[id.slice(2)] = el.value; go(c); });
  }
  function distinct(f) {
    var seen = {};
    R.forEach(function (r) { var v = f(r); if (v !== null && v !== undefined && v !== '') seen[v] = 1; });
    return Object.keys(seen).sort().map(function (v) { return [v, v]; });
  }
  function setupFilters() {
    options('f-year', distinct(function (r) { return r[C.year]; }));
    options('f-province', distinct(province));
    var rules = RULES.map(function (r) { return [r[0], (r[1] || '') + ' ' + r[3] + ' · ' + r[0]]; });
    rules.sort(function (a, b) { return parseInt(a[1], 10) - parseInt(b[1], 10) || (a[0] < b[0] ? -1 : 1); });
    options('f-rule', rules);
    options('f-severity', [['error', '错误 error'], ['warning', '警告 warning']]);
    options('f-reading', [['may-be-misread', '可能误读 may be a misread'], ['as-printed', '按原文 as printed']]);
    options('f-read', [['ok', '正常 ok'], ['doubtful', '存疑 doubtful'], ['failed', '失败 failed']]);
    options('f-rec', [['true', '自洽 yes'], ['false', '不自洽 no'], ['unknown', '未知 unknown']]);
    var q = $('f-q'), timer = null;
    q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { go({q: q.value, p: null}); }, 250);
    });
    $('f-clear').addEventListener('click', function (e) { e.preventDefault(); location.hash = '#all'; });
  }
  function showFilters() {
    ['year', 'province', 'rule', 'severity', 'reading', 'read', 'rec'].forEach(function (k) { $('f-' + k).value = S[k] || ''; });
    if (document.activeElement !== $('f-q')) $('f-q').value = S.q || '';
  }

  // --- the summary (of the reports the filters keep)
  function sumTable(title, head, rows) {
    var h = '<h3>' + title + '</h3><table class="sum"><tr>' + head.map(function (x) { return '<th>' + x + '</th>'; }).join('') + '</tr>';
    rows.forEach(function (r) { h += '<tr>' + r.map(function (x, i) { return '<td' + (i ? ' class="n"' : '') + '>' + x + '</td>'; }).join('') + '</tr>'; });
    return h + '</table>';
  }
  function a(change, text) { return '<a href="' + esc(link(change)) + '">' + text + '</a>'; }
  function summary(list) {
    var byRule = {}, tally = function (o, k) { return o[k] || (o[k] = {n: 0, e: 0, w: 0, f: 0}); };
    var byYear = {}, byProv = {}, byAg = {}, st = {ok: 0, doubtful: 0, failed: 0}, rec = {true: 0, false: 0, unknown: 0};
    var nf = 0, nm = 0, ne = 0, nw = 0;
    list.forEach(function (i) {
      var r = R[i], f = 0;
      r[C.f].forEach(function (fe) {
        var n = failCount(fe);
        if (!n) return;
        var t = byRule[fe[0]] || (byRule[fe[0]] = {f: 0, r: 0, m: 0});
        t.f += n; t.r += 1; t.m += S.reading === 'as-printed' ? 0 : fe[2];
        f += n; nm += S.reading === 'as-printed' ? 0 : fe[2];
      });
      nf += f;
      if (r[C.err]) ne++;
      if (r[C.warn]) nw++;
      [[byYear, r[C.year] || '？'], [byProv, province(r)], [byAg, r[C.agency] || '（机关不明）']].forEach(function (p) {
        var t = tally(p[0], p[1]);
        t.n++; t.f += f; if (r[C.err]) t.e++; if (r[C.warn]) t.w++;
      });
      if (r[C.read] in st) st[r[C.read]]++;
      rec[recText(r[C.rec])]++;
    });
    $('sum-status').innerHTML = [
      ['报告 reports', list.length, {}],
      ['有错误 with errors', ne, {severity: 'error'}], ['有警告 with warnings', nw, {severity: 'warning'}],
      ['不符项 failures', nf, {}], ['可能误读 may be a misread', nm, {reading: 'may-be-misread'}],
      ['识读正常 read ok', st.ok, {read: 'ok'}], ['识读存疑 read doubtful', st.doubtful, {read: 'doubtful'}],
      ['识读失败 read failed', st.failed, {read: 'failed'}],
      ['自洽 reconciles', rec['true'], {rec: 'true'}], ['不自洽 does not', rec['false'], {rec: 'false'}],
      ['未知 unknown', rec.unknown, {rec: 'unknown'}]
    ].map(function (c) { c[2].p = null; return '<span class="card">' + a(c[2], c[0] + ' <b>' + c[1] + '</b>') + '</span>'; }).join('');
    var rr = Object.keys(byRule).map(Number).sort(function (x, y) { return byRule[y].f - byRule[x].f; });
    $('sum-rule').innerHTML = sumTable('按规则 <span class="en">by rule</span>',
      ['规则 <span class="en">rule</span>', '级别 <span class="en">severity</span>', '不符 <span class="en">failures</span>',
        '报告 <span class="en">reports</span>', '可能误读 <span class="en">may be a misread</span>'],
      rr.map(function (k) {
        var rule = RULES[k] || ['?', '', '', '?', '?'];
        return [a({rule: rule[0], p: null}, esc((rule[1] || '') + ' ' + rule[3])) + ' <code>' + esc(rule[0]) + '</code><br><span class="en">' + esc(rule[4]) + '</span>',
          rule[2] === 'error' ? '错误 error' : '警告 warning', byRule[k].f, byRule[k].r, byRule[k].m];
      })) + (rr.length ? '' : '<p class="muted">无不符项 · <span class="en">no failures</span></p>');
    function part(o, key, title, sortNum) {
      var ks = Object.keys(o).sort(sortNum ? function (x, y) { return x < y ? -1 : 1; } : function (x, y) { return o[y].f - o[x].f || (x < y ? -1 : 1); });
      return sumTable(title, ['', '报告 reports', '有错误 errors', '有警告 warnings', '不符 failures'], ks.slice(0, 15).map(function (k) {
        var c = {p: null}; c[key] = k;
        return [a(c, esc(k)), o[k].n, o[k].e, o[k].w, o[k].f];
      })) + (ks.length > 15 ? '<p class="muted">前 15 项，共 ' + ks.length + ' 项 · <span class="en">top 15 of ' + ks.length + '</span></p>' : '');
    }
    $('sum-year').innerHTML = part(byYear, 'year', '按年度 <span class="en">by year</span>', true);
    $('sum-province').innerHTML = part(byProv, 'province', '按省份 <span class="en">by province</span>');
    $('sum-agency').innerHTML = part(byAg, 'q', '按机关 <span class="en">by agency</span>');
  }

  // --- the listing, paged
  function pager(id, n, size, key) {
    var pages = Math.ceil(n / size), cur = Math.min(parseInt(S[key] || '1', 10) || 1, Math.max(pages, 1)), h = '';
    if (pages > 1) {
      for (var p = 1; p <= pages; p++) {
        if (p === 1 || p === pages || Math.abs(p - cur) <= 3) {
          var c = {}; c[key] = p === 1 ? null : p;
          h += p === cur ? '<b>' + p + '</b>' : a(c, p);
        } else if (Math.abs(p - cur) === 4) h += '…';
      }
    }
    id.forEach(function (x) { $(x).innerHTML = h ? '页 <span class="en">page</span> ' + h : ''; });
    return cur;
  }
  function badge(n, cls) { return n ? '<span class="badge ' + cls + '">' + n + '</span> ' : ''; }
  function listing(list) {
    var cur = pager(['pager-top', 'pager'], list.length, PAGE, 'p');
    var h = '<tr><th>机关 agency</th><th>年度 year</th><th>省份 province</th><th>格式 format</th><th>文件 file</th>' +
      '<th>识读 read</th><th>自洽 reconciles</th><th>错误 errors</th><th>警告 warnings</th><th>可能误读 misread</th></tr>';
    list.slice((cur - 1) * PAGE, cur * PAGE).forEach(function (i) {
      var r = R[i];
      h += '<tr class="report-item' + (S.report === r[C.rid] ? ' open' : '') + '" data-report="' + esc(r[C.rid]) + '"><td>' +
        esc(r[C.agency] || '（机关不明）') + '</td><td>' + esc(r[C.year]) + '</td><td>' + esc(r[C.province]) + '</td><td>' +
        esc(r[C.format]) + '</td><td>' + (r[C.rid] ? a({report: r[C.rid]}, esc(r[C.file])) : esc(r[C.file])) + '</td><td>' +
        esc(r[C.read]) + (r[C.doubts] ? ' (' + r[C.doubts] + ')' : '') + '</td><td>' + recText(r[C.rec]) + '</td><td class="n">' +
        r[C.err] + '</td><td class="n">' + r[C.warn] + '</td><td class="n">' + r[C.mis] + '</td></tr>';
    });
    $('report-list').innerHTML = h;
    $('shown').textContent = list.length;
    $('listing-note').textContent = '（按不符项数排序 · by number of failures）';
  }

  // --- one report
  function ruleName(k) { var r = RULES[k] || []; return (r[1] ? r[1] + ' ' : '') + (r[3] || r[0] || ''); }
  function where(c) {
    var pos = [];
    if (c[5] !== null) pos.push('页 page ' + c[5]);
    if (c[6] !== null) pos.push('表 table ' + c[6]);
    if (c[7] !== null) pos.push('行 row ' + c[7]);
    if (c[8] !== null) pos.push('列 col ' + c[8]);
    return pos.join(', ');
  }
  function reading(c) {
    if (!c[11]) return '<span class="badge plain">按原文 as printed</span>';
    var why = c[12].map(function (d) {
      if (d === 'ocr') return 'OCR' + (c[9] !== null ? ' 置信度 confidence ' + fig(c[9]) : '');
      if (d === 'matched-by-position') return '按位置对应 placed by position';
      if (d === 'low-score') return '匹配分低 low score ' + fig(c[10]);
      return d;
    });
    return '<span class="badge misread">可能误读 may be a misread</span> ' + esc(why.join('; '));
  }
  function cellsList(f) {
    var items = f.cells.map(function (c) {
      var rep = c[1] >= 0 ? R[c[1]] : null;
      var whose = rep && rep[C.rid] !== S.report ? ' · ' + a({report: rep[C.rid]}, esc(rep[C.file]) + ' (' + esc(rep[C.year]) + ')') : '';
      return '<li class="' + (c[11] ? 'suspect' : '') + '">' + esc(c[0]) + ': <b>' + esc(c[2].replace(/\|/g, '/') || 'text') + '</b> = ' +
        esc(fig(c[3])) + ' (原文 raw ' + esc(JSON.stringify(c[4])) + (c[13] ? '' : '; 未印 not printed') + '; ' + esc(where(c)) + ') ' +
        reading(c) + whose + '</li>';
    });
    return '<details' + (f.m ? ' open' : '') + '><summary>所涉单元格 cells (' + f.cells.length + ')</summary><ul>' + items.join('') + '</ul></details>';
  }
  function failureRow(f, owner) {
    var rule = RULES[f.r] || ['?', null, 'warning'], other = '';
    if (f.o >= 0) {
      var o = R[f.o];
      other = '<br><span class="muted">' + (f.sc === 'years' ? '上一年度 previous year' : '对照 compared with') + ': ' +
        a({report: o[C.rid]}, esc((o[C.agency] || '') + ' ' + (o[C.year] || '') + ' · ' + o[C.file])) + '</span>';
    }
    if (owner !== null) {
      var w = R[owner];
      other += '<br><span class="muted">记于 recorded on: ' + a({report: w[C.rid]}, esc((w[C.agency] || '') + ' ' + (w[C.year] || '') + ' · ' + w[C.file])) + '</span>';
    }
    return '<tr class="failure ' + rule[2] + '" data-rule="' + esc(rule[0]) + '" data-severity="' + rule[2] + '" data-reading="' +
      (f.m ? 'may-be-misread' : 'as-printed') + '"><td class="sev">' + (rule[2] === 'error' ? '错误 error' : '警告 warning') +
      '</td><td>' + esc(ruleName(f.r)) + '<br><code>' + esc(rule[0]) + '</code></td><td>' + esc(f.w.replace(/\|/g, '/')) +
      '</td><td>' + esc(fig(f.e)) + '</td><td>' + esc(fig(f.a)) + '</td><td>' + esc(fig(f.d)) + '</td><td>' +
      (f.m ? '<span class="badge misread">可能误读 may be a misread</span>' : '<span class="badge plain">按原文 as printed</span>') +
      '</td><td><div class="zh">' + esc(f.zh) + '</div><div class="en">' + esc(f.en) + '</div>' + other + cellsList(f) + '</td></tr>';
  }
  var FAIL_HEAD = '<table class="failures"><tr><th>级别 severity</th><th>规则 rule</th><th>单元格 cell</th><th>应为 expected</th>' +
    '<th>实际 actual</th><th>差 difference</th><th>识读 reading</th><th>说明 explanation</th></tr>';
  function marks(i, d) {
    var m = {};
    function add(f, owner) {
      var rule = RULES[f.r] || [];
      f.cells.forEach(function (c) {
        if (c[1] !== i || c[2].split('|').length < 3) return;
        var t = m[c[2]] || (m[c[2]] = {main: false, error: false, sus: false, notes: []});
        var main = !f.m && ((c[2] === f.w && owner === i) || ((f.sc === 'years' || f.sc === 'narrative') && (c[0] === 'current' || c[0] === 'table')));
        t.main = t.main || main;
        t.error = t.error || rule[2] === 'error';
        t.sus = t.sus || !!c[11];
        t.notes.push(f.zh);
      });
    }
    d.f.forEach(function (f) { add(f, i); });
    (d.x || []).forEach(function (x) { add(detail(x[0]).f[x[1]], x[0]); });
    return m;
  }
  function fillTable(el, kind, t, m) {
    var vals = t[1], ex = t[2] || {}, conf = ex.c || {}, score = ex.s || {}, pos = {};
    (ex.p || []).forEach(function (k) { pos[k] = 1; });
    el.querySelectorAll('td.v').forEach(function (td) {
      var k = +td.dataset.i, v = k < vals.length ? vals[k] : null, cls = ['v'], title = [td.dataset.row + '/' + td.dataset.col];
      if (v === null) { td.textContent = '·'; cls.push('np'); title.push('未印 not printed'); }
      else if (typeof v === 'string') { td.textContent = v; cls.push('blank'); title.push('空白 blank (原文 raw ' + JSON.stringify(v) + ')'); }
      else td.textContent = fig(v);
      if (k in conf) { cls.push('ocr'); title.push('OCR 置信度 confidence ' + conf[k]); }
      if (k in score) { cls.push('lowscore'); title.push('匹配分 match score ' + score[k]); }
      if (k in pos) { cls.push('pos'); title.push('按位置对应 placed by position'); }
      var mk = m[kind + '|' + td.dataset.row + '|' + td.dataset.col];
      if (mk) {
        cls.push(mk.sus ? 'suspect' : mk.main ? 'fail-main' : 'fail-part', mk.error ? 'error' : 'warning');
        title.push(mk.notes.join(' | '));
      }
      td.className = cls.join(' ');
      td.title = title.join(' | ');
    });
  }
  function showDetail() {
    var el = $('detail'), i = byId[S.report];
    if (!S.report || i === undefined) { el.hidden = true; el.innerHTML = ''; return; }
    var r = R[i], d = detail(i), h = [];
    var src = r[C.href] ? ' · <a class="source" href="' + esc(r[C.href]) + '" target="_blank">打开源文件 open the source file</a>' : '';
    h.push('<h2 id="detail-head">' + esc(r[C.agency] || '（机关不明）') + ' ' + esc(r[C.year] || '') + ' <span class="muted">' +
      esc(r[C.file]) + ' · ' + esc(r[C.format]) + '</span> ' + badge(r[C.err], 'error') + badge(r[C.warn], 'warning') +
      (r[C.err] || r[C.warn] ? '' : '<span class="badge ok">0</span>') + '</h2>');
    h.push('<p>识读 <span class="en">read</span>: <b>' + esc(r[C.read]) + '</b>' + (r[C.doubts] ? '（存疑 ' + r[C.doubts] + ' 项 doubts: see issues）' : '') +
      ' · 自洽 <span class="en">reconciles</span>: <b>' + recText(r[C.rec]) + '</b>' + src + ' · ' + a({report: null}, '关闭 close') + '</p>');
    if (d.err) h.push('<p class="muted">' + esc(d.err) + '</p>');
    var fs = d.f.slice().sort(function (x, y) {
      return ((RULES[x.r] || [])[2] === 'error' ? 0 : 1) - ((RULES[y.r] || [])[2] === 'error' ? 0 : 1) || ((RULES[x.r] || [])[1] || 0) - ((RULES[y.r] || [])[1] || 0);
    });
    h.push(fs.length ? FAIL_HEAD + fs.map(function (f) { return failureRow(f, null); }).join('') + '</table>'
      : '<p class="muted">全部规则通过 · <span class="en">every rule holds.</span></p>');
    if (d.x && d.x.length) {
      h.push('<h3>其他报告中涉及本报告单元格的不符项 <span class="en">Failures recorded on other reports that read this report\'s cells</span></h3>' +
        FAIL_HEAD + d.x.map(function (x) { return failureRow(detail(x[0]).f[x[1]], x[0]); }).join('') + '</table>');
    }
    var m = marks(i, d), kinds = Object.keys(d.t);
    kinds.forEach(function (kind) {
      h.push('<h3>' + esc(TABLE_TITLE[kind] || kind) + ' <span class="muted">(' + kind + ', ' + d.t[kind][0] + ' 模板 template)</span></h3>' +
        '<div data-kind="' + kind + '">' + (D.layouts[kind + '|' + d.t[kind][0]] || '') + '</div>');
    });
    el.innerHTML = h.join('');
    el.hidden = false;
    kinds.forEach(function (kind) { fillTable(el.querySelector('div[data-kind="' + kind + '"]'), kind, d.t[kind], m); });
  }

  // --- cross-year links, one line per agency, its pairs drawn when opened
  function groups() {
    var cur = pager(['gpager'], D.groups.length, GPAGE, 'g'), h = '';
    if (!D.groups.length) h = '<p class="muted">无 · <span class="en">none: no agency has reports of consecutive years.</span></p>';
    D.groups.slice((cur - 1) * GPAGE, cur * GPAGE).forEach(function (g, k) {
      var n = [0, 0, 0], years = {};
      g[1].forEach(function (p) { n[0] += p[4]; n[1] += p[5]; n[2] += p[6]; years[R[p[0]][C.year]] = 1; years[R[p[1]][C.year]] = 1; });
      h += '<details class="group" data-g="' + ((cur - 1) * GPAGE + k) + '"><summary><b>' + esc(g[0]) + '</b> · ' + Object.keys(years).sort().join('→') +
        ' · 报告对 pairs ' + g[1].length + ' · 核对 checked ' + n[0] + ' · 相符 held ' + n[1] + ' · 不符 failed ' +
        (n[2] ? '<span class="badge error">' + n[2] + '</span>' : 0) + '</summary></details>';
    });
    $('groups').innerHTML = h;
    $('groups').querySelectorAll('details.group').forEach(function (el) {
      el.addEventListener('toggle', function () {
        if (!el.open || el.querySelector('table')) return;
        var rows = D.groups[+el.dataset.g][1].map(function (p) {
          var pr = R[p[0]], cr = R[p[1]];
          return '<tr><td>' + a({report: pr[C.rid]}, esc(pr[C.agency] + ' ' + pr[C.year] + ' · ' + pr[C.file])) + '</td><td>' +
            a({report: cr[C.rid]}, esc(cr[C.agency] + ' ' + cr[C.year] + ' · ' + cr[C.file])) + '</td><td>' + esc(p[2]) + ' ' + fig(p[3]) +
            '</td><td>' + p[4] + '</td><td>' + p[5] + '</td><td>' + p[6] + '</td></tr>';
        });
        el.insertAdjacentHTML('beforeend', '<table class="failures"><tr><th>上一年度 previous</th><th>本年度 this year</th>' +
          '<th>方法 method</th><th>核对 checked</th><th>相符 held</th><th>不符 failed</th></tr>' + rows.join('') + '</table>');
      });
    });
  }

  var lastReport = null;
  function render() {
    readHash();
    showFilters();
    var list = [];
    for (var i = 0; i < R.length; i++) if (kept(R[i])) list.push(i);
    summary(list);
    listing(list);
    groups();
    showDetail();
    if (S.report && S.report !== lastReport) {  // opened: its heading just below the sticky filter bar
      $('detail').style.scrollMarginTop = ($('filters').offsetHeight + 8) + 'px';
      $('detail').scrollIntoView();
    }
    lastReport = S.report || null;
  }
  $('counts').textContent = R.length + ' 份报告 reports · ' + D.n_failures + ' 项不符 failures · ' + D.groups.length + ' 个机关有跨年度报告 agencies with consecutive years';
  setupFilters();
  window.addEventListener('hashchange', render);
  render();
  document.body.dataset.ready = '1';
})();
