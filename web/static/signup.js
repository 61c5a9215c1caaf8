// Meta Embedded Signup: the Facebook JS SDK (Meta's own script, loaded only on the settings page) opens Meta's
// flow; its FINISH message carries the phone number id and WABA id, FB.login's response carries a one-time code.
// Both go to /settings/connect/signup, where the server exchanges the code for a token. Meta's documented flow.
(function () {
  "use strict";
  var btn = document.getElementById("signup-btn");
  var form = document.getElementById("signup-form");
  var status = document.getElementById("signup-status");
  if (!btn || !form) return;
  var session = {};
  var code = "";

  window.fbAsyncInit = function () {
    window.FB.init({ appId: btn.dataset.appId, autoLogAppEvents: true, xfbml: false, version: btn.dataset.version });
  };
  function submitWhenReady() {
    if (!code || !session.phone_number_id) return;
    form.elements.code.value = code;
    form.elements.phone_number_id.value = session.phone_number_id;
    form.elements.waba_id.value = session.waba_id || "";
    status.textContent = "Connecting…";
    form.submit();
  }
  window.addEventListener("message", function (ev) {
    if (!/(^|\.)facebook\.com$/.test(new URL(ev.origin).hostname)) return;
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (!data || data.type !== "WA_EMBEDDED_SIGNUP") return;
    if (data.event === "FINISH" || data.event === "FINISH_ONLY_WABA") {
      session = data.data || {};
      submitWhenReady();
    } else if (data.event === "CANCEL") {
      status.textContent = "Signup was not finished" + (data.data && data.data.current_step ? " (stopped at " + data.data.current_step + ")" : "") + ".";
    } else if (data.event === "ERROR") {
      status.textContent = "Meta reported an error: " + ((data.data && data.data.error_message) || "unknown");
    }
  });
  btn.addEventListener("click", function () {
    if (!window.FB) { status.textContent = "Facebook's script has not loaded yet; try again in a moment."; return; }
    status.textContent = "Follow the steps in the Facebook window…";
    window.FB.login(function (resp) {
      if (resp && resp.authResponse && resp.authResponse.code) {
        code = resp.authResponse.code;
        submitWhenReady();
      } else {
        status.textContent = "Facebook login was cancelled.";
      }
    }, {
      config_id: btn.dataset.configId,
      response_type: "code",
      override_default_response_type: true,
      extras: { setup: {}, featureType: "", sessionInfoVersion: "3" }
    });
  });
})();
