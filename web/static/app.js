// waorder dashboard: live orders over server-sent events with a highlight and a beep, clickable rows, small form
// helpers. No framework; everything works without this file except the live updates.
(function () {
  "use strict";
  var body = document.body;
  // Messages in the page's language (i18n.js): t("id") or t("id", {Field: value}).
  var t = window.waorderT || function (id) { return id; };

  // --- Sound: WebAudio needs a user gesture before it may play, so the context starts on the first click. ---
  var audio = null;
  var soundBtn = document.getElementById("sound");
  function soundOn() { return localStorage.getItem("waorder-sound") !== "off"; }
  function showSound() {
    if (!soundBtn) return;
    soundBtn.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    soundBtn.querySelector(".lbl").textContent = soundOn() ? soundBtn.dataset.soundOn : soundBtn.dataset.soundOff;
  }
  function unlockAudio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!audio) audio = new AC();
    if (audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  if (soundBtn) {
    soundBtn.addEventListener("click", function () {
      localStorage.setItem("waorder-sound", soundOn() ? "off" : "on");
      showSound();
      if (soundOn()) { unlockAudio(); beep(); }
    });
    showSound();
  }
  function beep() {
    body.dataset.beeps = String(Number(body.dataset.beeps || 0) + 1);
    if (!soundOn()) return;
    unlockAudio();
    if (!audio) return;
    var t = audio.currentTime;
    [[880, 0], [1320, 0.18]].forEach(function (n) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = n[0];
      gain.gain.setValueAtTime(0.0001, t + n[1]);
      gain.gain.exponentialRampToValueAtTime(0.3, t + n[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + n[1]);
      osc.stop(t + n[1] + 0.17);
    });
  }

  // --- Live orders: /events streams one "order" event per new order; the server ends each stream after a while
  // and the browser reconnects with Last-Event-ID, so any instance behind the balancer can serve the next one. ---
  var toast = document.getElementById("toast");
  var toastTimer = null;
  var unseen = 0;
  var baseTitle = document.title;
  function showToast(o) {
    if (!toast) return;
    toast.querySelector("[data-toast-text]").textContent = t("orders.new_order_toast", { Number: o.number, Customer: o.customer, Total: o.total });
    toast.querySelector("a").href = o.url;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 12000);
  }
  function insertRow(o) {
    var tbody = document.querySelector("#orders[data-live-insert] tbody");
    if (!tbody || !o.row || document.getElementById("order-" + o.id)) return;
    var tmp = document.createElement("tbody");
    tmp.innerHTML = o.row;
    var tr = tmp.firstElementChild;
    var only = tbody.parentNode.dataset.filterStatus;
    if (!tr || (only && tr.dataset.status !== only)) return;
    tr.classList.add("fresh");
    tbody.insertBefore(tr, tbody.firstChild);
    var empty = document.getElementById("orders-empty");
    if (empty) empty.hidden = true;
    var table = document.getElementById("orders");
    table.hidden = false;
    var size = Number(table.dataset.pageSize || 20);
    while (tbody.children.length > size) tbody.removeChild(tbody.lastElementChild);
    var total = document.getElementById("orders-total");
    if (total) total.textContent = String(Number(total.dataset.total || 0) + 1), total.dataset.total = total.textContent;
  }
  function connect() {
    if (!window.EventSource || body.dataset.live !== "1" || body.dataset.page === "inbox") return;
    var dot = document.getElementById("live");
    var list = document.querySelector("#orders[data-after]");
    var es = new EventSource("/events" + (list ? "?after=" + encodeURIComponent(list.dataset.after) : ""));
    es.onopen = function () { if (dot) dot.classList.add("on"); };
    es.onerror = function () { if (dot) dot.classList.remove("on"); };
    es.addEventListener("order", function (ev) {
      var o;
      try { o = JSON.parse(ev.data); } catch (e) { return; }
      insertRow(o);
      showToast(o);
      beep();
      if (document.hidden) { unseen++; document.title = "(" + unseen + ") " + baseTitle; }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unseen = 0; document.title = baseTitle; }
  });
  if (toast) toast.querySelector("button").addEventListener("click", function () { toast.hidden = true; });
  connect();

  // --- Live inbox: /conversations/events streams "thread" (a list row as it is now), "order" (an order of a
  // customer moved to a status) and, for the open thread, "message" (a new bubble, or one whose delivery status
  // changed). ---
  function connectInbox() {
    var page = body.dataset.page;
    if (!window.EventSource || page !== "inbox") return;
    var open = document.getElementById("open-thread");
    var list = document.getElementById("threads");
    var q = open ? "?customer=" + open.dataset.customer + "&after=" + open.dataset.after + "&since=" + open.dataset.since : "?since=" + Date.now();
    var dot = document.getElementById("live");
    var es = new EventSource("/conversations/events" + q);
    es.onopen = function () { if (dot) dot.classList.add("on"); };
    es.onerror = function () { if (dot) dot.classList.remove("on"); };
    es.addEventListener("thread", function (ev) {
      var t;
      try { t = JSON.parse(ev.data); } catch (e) { return; }
      if (!list) {
        list = document.createElement("ul");
        list.id = "threads";
        list.className = "thread-list";
        var empty = document.getElementById("threads-empty");
        if (empty) empty.replaceWith(list);
      }
      if (!list) return;
      var old = document.getElementById("thread-" + t.customer_id);
      var tmp = document.createElement("ul");
      tmp.innerHTML = t.row;
      var li = tmp.firstElementChild;
      if (!li) return;
      if (old) old.remove();
      // Threads waiting for a person stay on top; the others follow, newest first.
      var before = list.firstElementChild;
      if (!li.classList.contains("needs")) {
        while (before && before.classList.contains("needs")) before = before.nextElementSibling;
      }
      list.insertBefore(li, before);
      if (t.unread > 0 && (!open || String(t.customer_id) !== open.dataset.customer)) beep();
    });
    es.addEventListener("order", function (ev) {
      var o;
      try { o = JSON.parse(ev.data); } catch (e) { return; }
      var row = document.getElementById("thread-" + o.customer_id);
      var tag = row && row.querySelector("[data-order]");
      if (tag) tag.textContent = o.text;
      var chat = document.getElementById("conversation");
      if (!chat || !open || String(o.customer_id) !== open.dataset.customer || document.getElementById(o.id)) return;
      var tmp = document.createElement("div");
      tmp.innerHTML = o.html;
      if (!tmp.firstElementChild) return;
      chat.appendChild(tmp.firstElementChild);
      chat.scrollTop = chat.scrollHeight;
    });
    es.addEventListener("message", function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      var chat = document.getElementById("conversation");
      if (!chat) return;
      var tmp = document.createElement("div");
      tmp.innerHTML = m.html;
      var el = tmp.firstElementChild;
      if (!el) return;
      var old = document.getElementById(m.id);
      if (old) { old.replaceWith(el); return; }
      chat.appendChild(el);
      chat.scrollTop = chat.scrollHeight;
    });
  }
  connectInbox();
  document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });

  // Conversations open on their latest message.
  document.querySelectorAll("#conversation").forEach(function (el) { el.scrollTop = el.scrollHeight; });

  // --- Rows that open their order; forms that submit on change; confirmations. ---
  document.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-href]");
    if (tr && !ev.target.closest("a, button, input, select, form")) window.location = tr.dataset.href;
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("[data-autosubmit]")) ev.target.form.submit();
  });
  document.addEventListener("submit", function (ev) {
    var b = ev.submitter || ev.target.querySelector("[data-confirm]");
    var msg = (b && b.dataset && b.dataset.confirm) || ev.target.dataset.confirm;
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
