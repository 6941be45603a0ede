// Touchstone page behaviour. No inline scripts anywhere (CSP): pages opt in with data- attributes.
(function () {
  "use strict";
  // Live countdowns: <span class="countdown" data-due="ISO-8601">…</span>
  function fmt(ms) {
    var neg = ms < 0; ms = Math.abs(ms);
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
    var s = d ? d + (zh ? "天" : "d ") + h + (zh ? "小时" : "h") : h ? h + (zh ? "小时" : "h ") + mm + (zh ? "分" : "m") : mm + (zh ? "分钟" : "m");
    return neg ? (zh ? "已超时 " : "overdue ") + s : (zh ? "剩余 " : "") + s + (zh ? "" : " left");
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due")); if (isNaN(due)) return;
      var left = due - Date.now();
      el.textContent = fmt(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 4 * 3600000);
    });
  }
  // Confirm dangerous actions: <button data-confirm="…">
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-confirm]");
    if (t && !window.confirm(t.getAttribute("data-confirm"))) e.preventDefault();
  });
  // Auto-submit filter forms on change: <form data-autosubmit>
  document.addEventListener("change", function (e) {
    var f = e.target.closest("form[data-autosubmit]"); if (f) f.requestSubmit ? f.requestSubmit() : f.submit();
  });
  // Print buttons: <button data-print>
  document.addEventListener("click", function (e) { if (e.target.closest("[data-print]")) { e.preventDefault(); window.print(); } });
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
