namespace Fanout;

/// <summary>
/// The report page's inline stylesheet and script. Inline on purpose: report.html is one file that opens from
/// <c>file://</c> offline, so it references no fonts, CDNs or other files (a Content-Security-Policy in the page
/// enforces it). The script only adds conveniences; the page is complete without it.
/// </summary>
internal static class ReportAssets
{
    /// <summary>No network at all: only the inline style and script may run.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

    public const string Css = """
        :root { color-scheme: light; --ok: #2e7d32; --bad: #c62828; --skip: #9e9e9e; --cancel: #ef6c00; --run: #1565c0;
          --ink: #1d1f23; --muted: #5f6670; --line: #e3e6ea; --card: #f6f7f9; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; padding: 24px; max-width: 1360px; color: var(--ink); background: #fff;
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 17px; margin: 28px 0 10px; }
        code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
        .meta { color: var(--muted); margin: 0; }
        .meta span + span::before { content: " · "; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
        .st { font-weight: 600; }
        .st-succeeded { color: var(--ok); } .st-failed { color: var(--bad); } .st-skipped { color: var(--skip); }
        .st-cancelled { color: var(--cancel); } .st-pending, .st-ready, .st-running { color: var(--run); }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; break-inside: avoid; }
        .card .value { font-size: 20px; font-weight: 650; white-space: nowrap; }
        .card .value.wrap { font-size: 15px; white-space: normal; }
        .card .label { font-weight: 600; }
        .card .hint { color: var(--muted); font-size: 12px; }
        .legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 10px; color: var(--muted); font-size: 12px; }
        .legend i { display: inline-block; width: 18px; height: 10px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
        .sw-ok { background: var(--ok); } .sw-bad { background: var(--bad); } .sw-skip { background: var(--skip); }
        .sw-cancel { background: var(--cancel); } .sw-wait { background: #b0bec5; }
        .sw-retry { background: repeating-linear-gradient(45deg, var(--bad) 0 3px, #ffcdd2 3px 6px); }
        .sw-critical { border: 2px solid #111; background: #fff; }
        .sw-line { border-top: 2px dashed #111; height: 0 !important; border-radius: 0 !important; }
        .gantt-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
        .gantt { display: block; max-width: 100%; height: auto; }
        .gantt .row.hover .band, .gantt .row:hover .band { fill: #fff3c4; }
        .gantt .row { cursor: pointer; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
        th { background: var(--card); position: sticky; top: 0; font-size: 12px; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        tr.item td.id { padding-left: 24px; }
        tr.group td { background: #fbfbfc; }
        tr.critical td.id { font-weight: 700; }
        tr.critical td.id::before { content: "◆ "; color: #111; }
        tr.hover td { background: #fff3c4; }
        td.error { color: var(--bad); max-width: 340px; overflow-wrap: anywhere; }
        td .desc { color: var(--muted); font-size: 12px; font-weight: 400; }
        details summary { cursor: pointer; color: var(--run); }
        details pre { max-height: 420px; max-width: 560px; overflow: auto; margin: 6px 0 0; padding: 8px; background: var(--card);
          border: 1px solid var(--line); border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
        .note { color: var(--muted); font-size: 12px; }
        .toolbar { float: right; }
        button { font: inherit; font-size: 12px; padding: 2px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
        footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
        @media print {
          body { padding: 0; max-width: none; font-size: 11px; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          .gantt-wrap { overflow: visible; border: 0; }
          th { position: static; }
          tr, .card { break-inside: avoid; }
          details pre { max-height: none; max-width: none; }
          .toolbar { display: none; }
        }
        """;

    public const string Script = """
        (function () {
          "use strict";
          var rows = function (key) { return document.querySelectorAll('[data-row="' + key + '"]'); };
          document.querySelectorAll('[data-row]').forEach(function (el) {
            var key = el.getAttribute('data-row');
            el.addEventListener('mouseenter', function () { rows(key).forEach(function (r) { r.classList.add('hover'); }); });
            el.addEventListener('mouseleave', function () { rows(key).forEach(function (r) { r.classList.remove('hover'); }); });
          });
          document.querySelectorAll('svg.gantt [data-row]').forEach(function (el) {
            el.addEventListener('click', function () {
              var target = document.getElementById(el.getAttribute('data-row'));
              if (target) { target.scrollIntoView({ block: 'center' }); }
            });
          });
          var toggle = document.getElementById('toggle-outputs');
          if (toggle) {
            toggle.addEventListener('click', function () {
              var all = document.querySelectorAll('table.tasks details');
              var open = Array.prototype.some.call(all, function (d) { return !d.open; });
              all.forEach(function (d) { d.open = open; });
              toggle.textContent = open ? 'Collapse outputs' : 'Expand outputs';
            });
          }
          window.addEventListener('beforeprint', function () {
            document.querySelectorAll('details').forEach(function (d) { d.open = true; });
          });
        })();
        """;
}
