/* Pages that keep themselves up to date (services/console/live_pages.py).
 *
 * Every few seconds: ask /live/changes what changed on this page since the cursor. When
 * something did, read the page again and put its parts ([data-live-part], by id) in
 * place, keeping the scroll, the ticked tickets, chosen options and what is being typed
 * (a part being typed in waits until the typing is done). A new urgent or welfare ticket
 * is highlighted, announced in the banner, with a beep, and by a notification where the
 * reader allowed it (the 开启提醒 button: never asked on load).
 */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }

  var scope = live.getAttribute("data-live-scope");
  var url = live.getAttribute("data-live-url");
  var every = parseInt(live.getAttribute("data-live-every"), 10) || 1500;
  var since = live.getAttribute("data-live-since");
  var banner = document.getElementById("live-banner");
  var status = live.querySelector(".live-status");
  var alertsButton = live.querySelector(".live-alerts");
  var seen = {};        // ticket_no -> the seq last told
  var known = {};       // tickets the reader was shown or told of already
  var pending = null;   // tickets told while the reader was typing in a part
  var failures = 0;
  var audio = null;
  var ARRIVALS = {ticket_created: 1, ticket_dispatched: 1, ticket_returned: 1,
                  ticket_reopened: 1, ticket_overdue: 1};

  function rows(root) {
    var found = {};
    var list = (root || document).querySelectorAll("[data-live-part] [data-ticket]");
    for (var i = 0; i < list.length; i++) { found[list[i].getAttribute("data-ticket")] = true; }
    return found;
  }
  known = rows();

  // Sound: a WebAudio beep (no file), possible once the reader has touched the page.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    if (!audio) { audio = new Context(); }
    if (audio.state === "suspended" && audio.resume) { audio.resume(); }
  }
  function beep() {
    document.body.setAttribute("data-live-beeps",
      String((parseInt(document.body.getAttribute("data-live-beeps"), 10) || 0) + 1));
    if (!audio) { return; }
    [0, 0.3].forEach(function (delay) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + delay);
      osc.stop(audio.currentTime + delay + 0.18);
    });
  }
  document.addEventListener("pointerdown", unlockAudio, {once: true});
  document.addEventListener("keydown", unlockAudio, {once: true});

  function alertsOn() {
    return window.Notification && Notification.permission === "granted";
  }
  function showAlertsState() {
    if (!alertsButton) { return; }
    if (!window.Notification) { alertsButton.hidden = true; return; }
    if (alertsOn()) { alertsButton.textContent = "提醒已开启"; alertsButton.disabled = true; }
    else if (Notification.permission === "denied") {
      alertsButton.textContent = "浏览器已禁止提醒"; alertsButton.disabled = true;
    }
  }
  if (alertsButton) {
    alertsButton.addEventListener("click", function () {
      unlockAudio();
      if (!window.Notification) { return; }
      var asked = Notification.requestPermission(showAlertsState);
      if (asked && asked.then) { asked.then(showAlertsState); }
    });
  }
  showAlertsState();

  function kindWords(ticket) {
    return ticket.welfare ? "探访关爱工单" : "紧急工单";
  }
  function cue(tickets) {
    var loud = tickets.filter(function (t) {
      return (t.urgent || t.welfare) && ARRIVALS[t.event_type] && !known[t.ticket_no];
    });
    tickets.forEach(function (t) { known[t.ticket_no] = true; });
    if (!loud.length) { return; }
    var text = loud.map(function (t) { return "新的" + kindWords(t) + " " + t.ticket_no; })
      .join("；");
    banner.querySelector(".live-text").textContent = text;
    banner.hidden = false;
    beep();
    if (alertsOn()) {
      loud.forEach(function (t) {
        try {
          new Notification("新的" + kindWords(t), {body: t.ticket_no, tag: t.ticket_no});
        } catch (ignored) { /* some browsers allow notifications from a worker only */ }
      });
    }
  }
  banner.querySelector(".live-dismiss").addEventListener("click", function () {
    banner.hidden = true;
  });

  function typingIn(part) {
    var active = document.activeElement;
    return active && part.contains(active) &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active.type !== "checkbox";
  }

  // What the reader set in a part, to set again in its new copy: by ticket and field name.
  var FIELDS = "select, input:not([type]), input[type=text], textarea";
  function fieldKey(field) {
    var row = field.closest("[data-ticket]");
    return (row ? row.getAttribute("data-ticket") : "") + "|" + field.name;
  }
  function kept(part) {
    var ticks = {}, choices = {};
    part.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.checked) { ticks[box.name + "=" + box.value] = true; }
    });
    part.querySelectorAll(FIELDS).forEach(function (field) {
      if (field.value) { choices[fieldKey(field)] = field.value; }
    });
    return {ticks: ticks, choices: choices};
  }
  function restore(part, state) {
    part.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (state.ticks[box.name + "=" + box.value]) { box.checked = true; }
    });
    part.querySelectorAll(FIELDS).forEach(function (field) {
      var value = state.choices[fieldKey(field)];
      if (value !== undefined) { field.value = value; }
    });
  }

  function refresh(told) {
    var parts = document.querySelectorAll("[data-live-part]");
    for (var i = 0; i < parts.length; i++) {
      if (typingIn(parts[i])) {
        pending = (pending || []).concat(told);
        status.textContent = "有新变化，填写完成后自动更新";
        return Promise.resolve();
      }
    }
    var before = rows();
    return fetch(window.location.href, {credentials: "same-origin",
                                        headers: {"X-Live": "1"}})
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("page " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var x = window.scrollX, y = window.scrollY;
        document.querySelectorAll("[data-live-part]").forEach(function (part) {
          var copy = part.id && fresh.getElementById(part.id);
          if (!copy) { return; }
          var state = kept(part);
          var adopted = document.importNode(copy, true);
          part.parentNode.replaceChild(adopted, part);
          restore(adopted, state);
        });
        window.scrollTo(x, y);
        var now = rows();
        Object.keys(now).forEach(function (number) {
          if (!before[number]) {
            document.querySelectorAll('[data-live-part] [data-ticket="' + number + '"]')
              .forEach(function (row) { row.classList.add("live-new"); });
          }
        });
        document.dispatchEvent(new CustomEvent("live:refreshed"));
        cue(told);
        status.textContent = "已更新 " + new Date().toLocaleTimeString("zh-CN",
                                                             {timeZone: "Asia/Shanghai"});
      });
  }

  document.addEventListener("focusout", function () {
    if (!pending) { return; }
    setTimeout(function () {
      if (!pending) { return; }
      var told = pending;
      pending = null;
      refresh(told).catch(function () { pending = told; });
    }, 50);
  });

  function poll() {
    var query = "?scope=" + encodeURIComponent(scope) +
      (since ? "&since=" + encodeURIComponent(since) : "");
    fetch(url + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          status.textContent = "已停止自动更新（请重新登录）";
          throw "stop";
        }
        if (!response.ok) { throw new Error("changes " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        since = answer.cursor;
        var told = answer.tickets.filter(function (t) { return seen[t.ticket_no] !== t.seq; });
        told.forEach(function (t) { seen[t.ticket_no] = t.seq; });
        var here = rows();
        var gone = answer.gone.filter(function (number) { return here[number]; });
        failures = 0;
        if (!answer.complete || told.length || gone.length) { return refresh(told); }
        return null;
      })
      .then(function () { setTimeout(poll, every); },
            function (error) {
              if (error === "stop") { return; }
              failures += 1;
              status.textContent = "暂时无法更新，稍后重试";
              setTimeout(poll, Math.min(every * Math.pow(2, failures), 30000));
            });
  }
  setTimeout(poll, every);

  // Ticking: "all" ticks every ticket of its table, and the form counts them.
  function countTicks() {
    var count = document.querySelectorAll("input.bulk-tick:checked").length;
    var counter = document.querySelector("#bulk .bulk-count");
    if (counter) { counter.textContent = "已选 " + count + " 件"; }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.classList && box.classList.contains("bulk-all")) {
      box.closest("table").querySelectorAll("input.bulk-tick").forEach(function (tick) {
        tick.checked = box.checked;
      });
    }
    if (box.classList && (box.classList.contains("bulk-all") ||
                          box.classList.contains("bulk-tick"))) { countTicks(); }
  });
  document.addEventListener("live:refreshed", countTicks);
}());
