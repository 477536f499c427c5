// The task page: accessible sliders (pairwise) or Likert choices (rating), and a submit that never loses the answer.
(function () {
  "use strict";
  var form = document.getElementById("answer") || document.getElementById("rating");
  if (!form) { return; }
  var texts = JSON.parse(form.dataset.texts);
  var storeKey = "pluralist-pending-" + (form.dataset.assignment ? form.dataset.assignment : "image-" + form.dataset.image);
  var status = document.getElementById("status");
  var button = document.getElementById("send");
  var started = Date.now();
  var sending = false;

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

  // Sends the same body (same request id) until the server acknowledges it after commit.
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

  function submitWith(collect) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (sending) { return; }
      var body = collect();
      if (!body) { return; }
      body.clientRequestId = newRequestId();
      body.clientDurationMs = Date.now() - started;
      keep(body);
      send(body, 0);
    });
  }

  function kept() {
    try {
      var value = window.localStorage.getItem(storeKey);
      return value ? JSON.parse(value) : null;
    } catch (e) { return null; }
  }

  if (form.id === "rating") {
    var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.likert"));
    groups.forEach(function (group) {
      group.addEventListener("change", function () { group.classList.add("answered"); });
      if (group.querySelector("input[type=radio]:checked")) { group.classList.add("answered"); }
    });
    submitWith(function () {
      var answers = [];
      var missing = null;
      groups.forEach(function (group) {
        var checked = group.querySelector("input[type=radio]:checked");
        if (checked) { answers.push({ question: group.dataset.key, value: Number(checked.value) }); } else if (!missing) { missing = group; }
      });
      if (missing) {
        say(texts.needAll, true);
        missing.querySelector("input[type=radio]").focus();
        return null;
      }
      var categories = Array.prototype.map.call(form.querySelectorAll("input[name=category]:checked"), function (c) { return c.value; });
      return { itemToken: form.dataset.item, answers: answers, categories: categories };
    });
    var keptRating = kept();
    if (keptRating) {
      keptRating.answers.forEach(function (a) {
        var radio = form.querySelector("input[data-key='" + a.question + "'][value='" + a.value + "']");
        if (radio) { radio.checked = true; radio.closest("fieldset").classList.add("answered"); }
      });
      send(keptRating, 0);
    }
    return;
  }

  // Tap or click an image to see it larger; Escape, the close button or a click outside closes it,
  // and the focus goes back to the image that opened it. Without script the link opens the image.
  var zoom = document.getElementById("zoom");
  if (zoom && typeof zoom.showModal === "function") {
    var zoomImage = document.getElementById("zoom-image");
    var opener = null;
    Array.prototype.forEach.call(document.querySelectorAll("a.enlarge"), function (link) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        var img = link.querySelector("img");
        opener = link;
        document.getElementById("zoom-title").textContent = link.dataset.title;
        zoomImage.src = img.src;
        zoomImage.alt = img.alt;
        zoom.showModal();
      });
    });
    document.getElementById("zoom-close").addEventListener("click", function () { zoom.close(); });
    zoom.addEventListener("click", function (e) { if (e.target === zoom) { zoom.close(); } });
    zoom.addEventListener("close", function () { if (opener) { opener.focus(); } });
  }

  var sliders = Array.prototype.slice.call(form.querySelectorAll("input[type=range]"));

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
    state.textContent = touched ? texts.answered + texts.colon + text : texts.notAnswered;
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

  submitWith(function () {
    var scores = sliders.map(function (s) {
      return { criterion: s.dataset.key, score: s.dataset.touched === "true" ? Number(s.value) : null };
    });
    if (!scores.some(function (s) { return s.score !== null; })) {
      say(texts.needOne, true);
      sliders[0].focus();
      return null;
    }
    return {
      scores: scores,
      comment: document.getElementById("comment").value || null,
      reportImage: !!(document.getElementById("report") && document.getElementById("report").checked)
    };
  });

  // An answer kept from a page that closed before the server acknowledged it: restore it and send it again.
  var keptAnswer = kept();
  if (keptAnswer) {
    keptAnswer.scores.forEach(function (s) {
      var slider = form.querySelector("input[data-key='" + s.criterion + "']");
      if (slider && s.score !== null) { slider.value = String(s.score); touch(slider); }
    });
    send(keptAnswer, 0);
  }
})();
