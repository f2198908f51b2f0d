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

// Scanning a pickup code: where the browser has BarcodeDetector and a
// camera, the button next to the code field (hidden without them) reads
// the customer's QR code into the field and sends the form. The form
// works by typing without it.
(function () {
  var btn = document.querySelector("button[data-scan]");
  if (!btn || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var field = document.getElementById(btn.dataset.scan);
  var video = btn.form.querySelector("video[data-scan-video]");
  var label = btn.textContent, stream = null, timer = 0;
  btn.hidden = false;
  function stop() {
    clearInterval(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; video.hidden = true; btn.textContent = label;
  }
  btn.addEventListener("click", function () {
    if (stream) { stop(); return; }
    var detector = new BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; video.play();
      btn.textContent = btn.dataset.stop;
      timer = setInterval(function () {
        detector.detect(video).then(function (codes) {
          if (!codes.length) return;
          field.value = codes[0].rawValue;
          stop();
          btn.form.submit();
        }).catch(function () {});
      }, 300);
    }).catch(stop);
  });
})();

// Print views: the print button prints the page.
(function () {
  var btn = document.querySelector("button[data-print]");
  if (!btn) return;
  btn.hidden = false;
  btn.addEventListener("click", function () { window.print(); });
})();
