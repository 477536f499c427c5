// The comparison page: accessible sliders, and a submit that never loses the answer.
(function () {
  "use strict";
  var form = document.getElementById("answer");
  if (!form) { return; }
  var texts = JSON.parse(form.dataset.texts);
  var storeKey = "pluralist-pending-" + form.dataset.assignment;
  var sliders = Array.prototype.slice.call(form.querySelectorAll("input[type=range]"));
  var status = document.getElementById("status");
  var button = document.getElementById("send");
  var started = Date.now();
  var sending = false;

  function valueText(v) {
    if (v <= -0.75) { return texts.leftStrong; }
    if (v < 0) { return texts.left; }
    if (v === 0) { return texts.neutral; }
    if (v < 0.75) { return texts.right; }
    return texts.rightStrong;
  }

  function update(slider) {
    var text = valueText(Number(slider.value));
    slider.setAttribute("aria-valuetext", text);
    var touched = slider.dataset.touched === "true";
    var state = document.getElementById("state-" + slider.dataset.key);
    state.textContent = touched ? texts.answered + " : " + text : texts.notAnswered;
    slider.closest("fieldset").classList.toggle("answered", touched);
  }

  function touch(slider) {
    slider.dataset.touched = "true";
    update(slider);
  }

  sliders.forEach(function (slider) {
    slider.addEventListener("input", function () { touch(slider); });
    slider.addEventListener("change", function () { touch(slider); });
    slider.addEventListener("pointerup", function () { touch(slider); });
    slider.addEventListener("keydown", function (e) {
      if (e.key === "0") {
        e.preventDefault();
        slider.value = "0";
        touch(slider);
      } else if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].indexOf(e.key) >= 0) {
        // The native slider moves first; mark it touched even at an end where the value does not change.
        window.setTimeout(function () { touch(slider); }, 0);
      }
    });
    update(slider);
  });

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error-text", !!isError);
  }

  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function keep(body) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(body)); } catch (e) { /* private mode: the page still holds it */ }
  }

  function forget() {
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
  }

  function send(body, attempt) {
    sending = true;
    button.disabled = true;
    say(attempt === 0 ? texts.sending : texts.retrying, false);
    fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-TOKEN": form.dataset.token },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (stored) {
          forget();
          say(texts.saved, false);
          window.location.assign(stored.next || "/task");
        });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        // The server refused this answer: say why and let the person fix it.
        return response.json().catch(function () { return null; }).then(function (problem) {
          forget();
          sending = false;
          button.disabled = false;
          say(problem && (problem.detail || problem.title) || String(response.status), true);
        });
      }
      throw new Error("HTTP " + response.status);
    }).catch(function () {
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt));
      say(texts.retrying, false);
      window.setTimeout(function () { send(body, attempt + 1); }, delay);
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) { return; }
    var scores = sliders.map(function (s) {
      return { criterion: s.dataset.key, score: s.dataset.touched === "true" ? Number(s.value) : null };
    });
    if (!scores.some(function (s) { return s.score !== null; })) {
      say(texts.needOne, true);
      sliders[0].focus();
      return;
    }
    var body = {
      clientRequestId: newRequestId(),
      scores: scores,
      comment: document.getElementById("comment").value || null,
      clientDurationMs: Date.now() - started,
      reportImage: document.getElementById("report").checked
    };
    keep(body);
    send(body, 0);
  });

  // An answer kept from a page that closed before the server acknowledged it: restore it and send it again.
  try {
    var kept = window.localStorage.getItem(storeKey);
    if (kept) {
      var body = JSON.parse(kept);
      body.scores.forEach(function (s) {
        var slider = form.querySelector("input[data-key='" + s.criterion + "']");
        if (slider && s.score !== null) { slider.value = String(s.score); touch(slider); }
      });
      send(body, 0);
    }
  } catch (e) { /* nothing kept */ }
})();
