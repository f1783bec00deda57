// Cartella's small behaviours, loaded as a file (the CSP allows no inline script).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Live updates of a sheet re-render blocks from the values sent with the request. Whatever the
// user typed or chose in those blocks while the request was on its way (a slow network) would
// be wiped by the swap: carry it over into the new content.
(function () {
  function state(control) {
    return control.type === "checkbox" || control.type === "radio" ? control.checked : control.value;
  }

  function snapshot(form) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (control) {
      if (control.id) { seen[control.id] = state(control); }
    });
    return seen;
  }

  var sent = null;  // what the form held when the response being swapped was requested

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt.form || (elt.closest && elt.closest("form"));
    if (form && event.detail.xhr) { event.detail.xhr.cartellaSent = snapshot(form); }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    sent = (event.detail.xhr && event.detail.xhr.cartellaSent) || null;
  });
  document.addEventListener("htmx:afterSettle", function () { sent = null; });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!sent) { return; }
    var fragment = event.detail.fragment;
    event.detail.target.querySelectorAll("input, select, textarea").forEach(function (control) {
      if (!control.id || (control.id in sent && sent[control.id] === state(control))) { return; }
      var fresh = fragment.querySelector("#" + CSS.escape(control.id));
      if (!fresh || fresh.tagName !== control.tagName || fresh.type !== control.type) { return; }
      if (control.type === "checkbox" || control.type === "radio") {
        fresh.checked = control.checked;
      } else {
        fresh.value = control.value;
      }
    });
  });
})();

// A button that prints the page (the audit report made for printing or saving as PDF).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});

// A sheet being filled: warn before leaving the page with changes not yet kept (neither saved
// nor autosaved), and keep them (autosave at once) when the user leaves through another form
// of the page, such as "Esci" or the language switch.
(function () {
  var sheet = document.getElementById("scheda");
  var autosave = document.getElementById("autosave-status");
  if (!sheet || !autosave) { return; }
  var dirty = false;
  var leaving = false;

  function mark() { dirty = true; }
  sheet.addEventListener("input", mark);
  sheet.addEventListener("change", mark);
  sheet.addEventListener("submit", function (event) {
    var question = event.submitter && event.submitter.getAttribute("data-confirm-if-changed");
    if (question && dirty && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    leaving = true;
    setTimeout(function () { if (event.defaultPrevented) { leaving = false; } }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt === autosave && event.detail.successful) { dirty = false; }
  });

  function flush() {
    return fetch(autosave.getAttribute("hx-post"), {
      method: "POST", body: new FormData(sheet), credentials: "same-origin", keepalive: true
    }).then(function (response) { if (response.ok) { dirty = false; } });
  }

  window.addEventListener("beforeunload", function (event) {
    if (!dirty || leaving) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form === sheet || !dirty || form.dataset.cartellaFlushed) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    function go() {
      form.dataset.cartellaFlushed = "1";
      leaving = true;
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    }
    flush().then(go, go);
  });
})();
