// Sandbox chat simulator: posts what the "customer" types or taps to /simulator/send (which signs it like Meta and
// hands it to the webhook path) and polls /simulator/messages for the conversation, rendering the bot's reply
// buttons and list rows as choices to tap.
(function () {
  "use strict";
  // Messages in the page's language (i18n.js): t("id") or t("id", {Field: value}).
  var t = window.waorderT || function (id) { return id; };
  var form = document.getElementById("sim-form");
  var chat = document.getElementById("sim-chat");
  if (!form || !chat) return;
  var input = document.getElementById("sim-text");
  var waID = form.elements.wa_id.value, phone = form.elements.phone.value;
  var lastSig = "";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  // A delivery status as the inbox shows it (partials.html "ticks"): the mark, its class, and its title.
  function ticks(status) {
    var map = {
      sent: ["✓", "", "ticks.sent"], delivered: ["✓✓", "", "ticks.delivered"], read: ["✓✓", " read", "ticks.read"],
      failed: ["⚠ " + t("ticks.failed"), " failed", "ticks.failed_title"], held: ["⏸ " + t("ticks.held"), " failed", "ticks.held_title"]
    };
    var m = map[status] || ["🕓", "", "ticks.queued"];
    var s = el("span", "tick" + m[1], m[0]);
    s.title = t(m[2]);
    return s;
  }
  function choice(kind, id, title, desc) {
    var b = el("button", null, title);
    b.type = "button";
    b.dataset.kind = kind;
    b.dataset.id = id;
    b.dataset.title = title;
    if (desc) b.appendChild(el("span", "row-desc", desc));
    return b;
  }
  function render(msgs) {
    var sig = JSON.stringify(msgs);
    if (sig === lastSig) return;
    lastSig = sig;
    var atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    chat.textContent = "";
    if (!msgs.length) chat.appendChild(el("p", "muted small", t("simulator.say_hi")));
    msgs.forEach(function (m) {
      var b = el("div", "bubble " + m.dir, m.text);
      b.dataset.id = m.id;
      if (m.header) b.insertBefore(el("strong", null, m.header + "\n"), b.firstChild);
      if (m.footer) b.appendChild(el("span", "muted small", "\n" + m.footer));
      if ((m.buttons && m.buttons.length) || (m.sections && m.sections.length)) {
        var c = el("div", "choices");
        (m.buttons || []).forEach(function (x) { c.appendChild(choice("button", x.id, x.title)); });
        (m.sections || []).forEach(function (s) {
          if (s.title) c.appendChild(el("div", "section", s.title));
          s.rows.forEach(function (r) { c.appendChild(choice("list", r.id, r.title, r.description)); });
        });
        b.appendChild(c);
      }
      var meta = el("span", "meta", m.time);
      if (m.dir === "out") meta.appendChild(ticks(m.status));
      b.appendChild(meta);
      if (m.error) b.appendChild(el("span", "field-error", m.error));
      chat.appendChild(b);
    });
    if (atBottom || msgs.length < 8) chat.scrollTop = chat.scrollHeight;
  }
  function poll() {
    fetch("/simulator/messages?wa_id=" + encodeURIComponent(waID) + "&phone=" + encodeURIComponent(phone), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) render(d.messages || []); })
      .catch(function () {})
      .finally(function () { setTimeout(poll, document.hidden ? 4000 : 1000); });
  }
  function send(extra) {
    var data = new URLSearchParams(new FormData(form));
    Object.keys(extra).forEach(function (k) { data.set(k, extra[k]); });
    return fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(t("simulator.send_failed", { Status: r.status })); lastSig = ""; });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }).catch(function (e) { input.value = text; alert(e.message); });
  });
  chat.addEventListener("click", function (ev) {
    var b = ev.target.closest(".choices button");
    if (!b) return;
    b.disabled = true;
    send({ text: "", reply_kind: b.dataset.kind, reply_id: b.dataset.id, reply_title: b.dataset.title })
      .catch(function (e) { b.disabled = false; alert(e.message); });
  });
  poll();
})();
