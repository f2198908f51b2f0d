// Countdowns: every <time data-countdown> counts down to its datetime from
// the server's clock at render (data-now), refreshed each second, with the
// words the server gave it (data-prefix, data-ended). Without script the
// server's text stays.
(function () {
  var els = document.querySelectorAll("time[data-countdown]");
  if (!els.length) return;
  var loaded = Date.now();
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var spent = Date.now() - loaded;
    for (var i = 0; i < els.length; i++) {
      var e = els[i], ms = Date.parse(e.getAttribute("datetime")) - Date.parse(e.dataset.now) - spent;
      if (ms <= 0) { e.textContent = e.dataset.ended; continue; }
      var s = Math.floor(ms / 1000);
      e.textContent = e.dataset.prefix + " " + Math.floor(s / 3600) + ":" + two(Math.floor(s % 3600 / 60)) + ":" + two(s % 60);
    }
  }
  tick();
  setInterval(tick, 1000);
})();
