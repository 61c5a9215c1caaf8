// Messages in the page's language, from the layout's i18n block (handlers/dashboard jsMessages), for every script
// of the dashboard: waorderT("id"), or waorderT("id", {Field: value}) for one with fields. Without the block, the id
// stands in. Loaded (deferred) before the other scripts, which run in document order after it.
(function () {
  "use strict";
  var messages = {};
  try { messages = JSON.parse(document.getElementById("i18n").textContent) || {}; } catch (e) { messages = {}; }
  window.waorderT = function (id, fields) {
    var s = messages[id] || id;
    Object.keys(fields || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(fields[k])); });
    return s;
  };
})();
