/* The new-ticket page: once the caller's phone has enough digits, list their earlier
   tickets (number, day, category, state, latest step) under the field, from
   /search/callers. No build step; the page works without it. */
(function () {
  "use strict";
  var box = document.getElementById("caller-history");
  var field = document.querySelector('input[name="caller.phone"]');
  if (!box || !field || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  var timer = null;
  var asked = "";

  function digits(text) { return (text.match(/\d/g) || []).join(""); }

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) { element.className = className; }
    return element;
  }

  function show(answer) {
    box.textContent = "";
    if (!answer.total) {
      box.appendChild(text("p", "此号码没有以往工单。", "muted"));
      box.hidden = false;
      return;
    }
    box.appendChild(text("h3", "此号码以往工单 " + answer.total + " 件"));
    var list = document.createElement("ul");
    answer.tickets.forEach(function (ticket) {
      var item = document.createElement("li");
      item.setAttribute("data-ticket", ticket.ticket_no);
      var link = text("a", ticket.ticket_no, "ticket-no");
      link.href = ticket.href;
      link.target = "_blank";
      link.rel = "noopener";
      item.appendChild(link);
      item.appendChild(text("span", " " + ticket.received + " · " + ticket.category + " · "));
      item.appendChild(text("span", ticket.state, "badge state"));
      if (ticket.summary) { item.appendChild(text("div", ticket.summary, "desc")); }
      if (ticket.description) { item.appendChild(text("div", ticket.description, "desc")); }
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function look() {
    var phone = field.value.trim();
    if (digits(phone).length < 7) { box.hidden = true; asked = ""; return; }
    if (phone === asked) { return; }
    asked = phone;
    fetch(url + "?phone=" + encodeURIComponent(phone), {credentials: "same-origin",
                                                         headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer && asked === phone) { show(answer); } })
      .catch(function () { box.hidden = true; });
  }

  function soon() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(look, 300);
  }

  field.addEventListener("input", soon);
  field.addEventListener("change", look);
  if (field.value) { look(); }
}());
