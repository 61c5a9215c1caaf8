// Meta Embedded Signup: the Facebook JS SDK (Meta's own script, loaded only on the settings page) opens Meta's
// flow; its FINISH message carries the phone number id and WABA id, FB.login's response carries a one-time code.
// Both go to /settings/connect/signup, where the server exchanges the code for a token. Meta's documented flow.
(function () {
  "use strict";
  // Messages in the page's language (i18n.js): t("id") or t("id", {Field: value}).
  var t = window.waorderT || function (id) { return id; };
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
    status.textContent = t("settings.signup_connecting");
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
      status.textContent = data.data && data.data.current_step ?
        t("settings.signup_stopped_at", { Step: data.data.current_step }) : t("settings.signup_not_finished");
    } else if (data.event === "ERROR") {
      status.textContent = t("settings.signup_meta_error", { Error: (data.data && data.data.error_message) || t("settings.signup_unknown") });
    }
  });
  btn.addEventListener("click", function () {
    if (!window.FB) { status.textContent = t("settings.signup_no_sdk"); return; }
    status.textContent = t("settings.signup_follow");
    window.FB.login(function (resp) {
      if (resp && resp.authResponse && resp.authResponse.code) {
        code = resp.authResponse.code;
        submitWhenReady();
      } else {
        status.textContent = t("settings.signup_cancelled");
      }
    }, {
      config_id: btn.dataset.configId,
      response_type: "code",
      override_default_response_type: true,
      extras: { setup: {}, featureType: "", sessionInfoVersion: "3" }
    });
  });
})();
