// Faultline's only script: keyboard navigation of the issue list, select-all, the issue page's
// tabs, the library-frame toggle, copy buttons, breadcrumb level filter and auto-submitting
// filters. Everything works without it; it only makes things faster.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Filters submit when a drop-down changes.
  $$("select.autosubmit").forEach((s) => s.addEventListener("change", () => s.form.submit()));

  // Issue list: select all, row click, j/k/Enter/x and "/".
  const all = $("#select-all");
  if (all) all.addEventListener("change", () => $$("#issue-table input[name=id]").forEach((c) => { c.checked = all.checked; }));
  const rows = $$("tr.issue-row");
  rows.forEach((r) => r.addEventListener("click", (e) => {
    if (e.target.closest("a, input, button, label")) return;
    window.location.href = r.dataset.href;
  }));
  let cursor = -1;
  const move = (i) => {
    if (!rows.length) return;
    cursor = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, n) => r.classList.toggle("cursor", n === cursor));
    rows[cursor].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === "/" && $("#search")) { e.preventDefault(); $("#search").focus(); return; }
    if (!rows.length) return;
    if (e.key === "j") { move(cursor + 1); e.preventDefault(); }
    else if (e.key === "k") { move(cursor - 1); e.preventDefault(); }
    else if (e.key === "Enter" && cursor >= 0) { window.location.href = rows[cursor].dataset.href; }
    else if (e.key === "x" && cursor >= 0) { const c = $("input[name=id]", rows[cursor]); if (c) c.checked = !c.checked; }
  });

  // Issue page tabs: one panel at a time, kept in the URL's fragment.
  const tabs = $$("#arc-tabs a[data-tab]");
  if (tabs.length) {
    const panels = $$(".tab-panel");
    const show = (name) => {
      if (!panels.some((p) => p.id === name)) name = panels.length ? panels[0].id : "";
      panels.forEach((p) => p.classList.toggle("shown", p.id === name));
      tabs.forEach((a) => a.classList.toggle("active", a.dataset.tab === name));
    };
    tabs.forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      history.replaceState(null, "", "#" + a.dataset.tab);
      show(a.dataset.tab);
    }));
    show(location.hash.slice(1) || "code");
  }

  // Library frames are hidden until asked for.
  const lib = $("#toggle-library");
  if (lib) lib.addEventListener("click", () => {
    const on = document.documentElement.classList.toggle("show-library");
    lib.textContent = on ? "Hide library frames" : "Show library frames";
  });

  // Copy buttons copy the text of the element they name.
  $$("button[data-copy]").forEach((b) => b.addEventListener("click", () => {
    const el = document.getElementById(b.dataset.copy);
    if (!el) return;
    const text = el.value !== undefined && el.tagName === "TEXTAREA" ? el.value : el.textContent;
    const done = () => { const old = b.textContent; b.textContent = "Copied"; setTimeout(() => { b.textContent = old; }, 1200); };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => {});
  }));

  // Breadcrumb level filter.
  const lf = $("#level-filter");
  if (lf) lf.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-level]");
    if (!b) return;
    $$("button", lf).forEach((x) => x.classList.toggle("active", x === b));
    $$("#crumbs tbody tr").forEach((r) => { r.hidden = !!b.dataset.level && r.dataset.level !== b.dataset.level; });
  });
})();
