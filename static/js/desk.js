// Small helpers only; the pages work without JavaScript.
(function () {
  function showMessage(text, kind) {
    var box = document.querySelector("#main > .messages");
    if (!box) {
      box = document.createElement("ul");
      box.className = "messages";
      document.getElementById("main").prepend(box);
    }
    box.innerHTML = '<li class="msg msg-' + kind + '" role="alert">' + text + "</li>";
  }

  if (window.htmx) {
    // A form with field errors (400) is re-rendered in place, with the errors and the typed
    // text. A conflict (409) is not swapped: the page keeps what the user typed, and the
    // message says what happened.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "400", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr.status;
    var text = status === 409
      ? "Сообщение уже изменил другой пользователь — действие не выполнено. " +
        "Ваш текст остался в форме; обновите страницу, чтобы увидеть новое состояние."
      : status === 403 ? "Это действие недоступно для вашей роли."
      : status === 404 ? "Сообщение не найдено или недоступно."
      : "Ошибка " + status + ". Попробуйте ещё раз.";
    showMessage(text, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showMessage("Нет связи с сервером. Данные формы сохранены — попробуйте ещё раз.", "error");
  });

  // A select that submits its form when changed (the language switcher): bound here,
  // not inline, so the Content-Security-Policy needs no inline script.
  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.matches &&
        evt.target.matches("select[data-autosubmit], input[data-autosubmit-check]")) {
      evt.target.form.submit();
    }
  });

  // Bulk assignment: "select all" on the list; the bar shows only when something is ticked.
  function bulkBoxes() {
    return document.querySelectorAll('input[name="ids"][form="bulk-assign"]');
  }
  function bulkUpdate() {
    var bar = document.querySelector("[data-bulk]");
    if (!bar) return;
    var ticked = Array.prototype.filter.call(bulkBoxes(), function (b) { return b.checked; });
    bar.hidden = ticked.length === 0;
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = "Отмечено: " + ticked.length;
  }
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (!t) return;
    if (t.id === "bulk-all") {
      bulkBoxes().forEach(function (box) { box.checked = t.checked; });
    }
    if (t.id === "bulk-all" || (t.name === "ids" && t.getAttribute("form") === "bulk-assign")) {
      bulkUpdate();
    }
  });
  document.addEventListener("click", function (evt) {
    if (evt.target && evt.target.matches && evt.target.matches("[data-bulk-clear]")) {
      bulkBoxes().forEach(function (box) { box.checked = false; });
      var all = document.getElementById("bulk-all");
      if (all) all.checked = false;
      bulkUpdate();
    }
  });

  // «Сохранить вид» and «Столбцы» keep the list as it is now, and the bulk bar comes back
  // to it: the filters change the address (htmx, hx-push-url) but not these forms,
  // rendered with the first page.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.querySelector) return;
    var query = form.querySelector("input[data-current-query]");
    if (query) query.value = window.location.search.replace(/^\?/, "");
    var next = form.querySelector("input[data-current-next]");
    if (next) next.value = window.location.pathname + window.location.search;
  });

  // Enter in the bar's «№ исходного» rejects as a duplicate (not the bar's first button).
  document.addEventListener("keydown", function (evt) {
    var t = evt.target;
    if (evt.key !== "Enter" || !t || !t.matches || !t.matches("[data-bulk-duplicate]")) return;
    evt.preventDefault();
    var go = t.form && t.form.querySelector("[data-bulk-duplicate-submit]");
    if (go) go.click();
  });

  // Multi-choice filters: the summary says what is ticked («Статус: Новое»).
  function multiUpdate(details) {
    var value = details.querySelector("[data-multi-value]");
    if (!value) return;
    var labels = [];
    details.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (box.checked) labels.push(box.parentNode.textContent.trim());
    });
    if (labels.length) {
      value.textContent = labels.join(", ");
    } else {
      value.innerHTML = '<span class="muted">все</span>';
    }
  }

  // The filter form: one request per change; the search box sends once the user stops
  // typing (debounced), and Enter sends once (the pending debounce is dropped).
  var SEARCH_DELAY = 400;
  var searchTimer = null;
  var lastSearch = null;
  function liveForm() { return document.querySelector("form[data-live-filters]"); }
  function refresh(form) {
    if (searchTimer) { clearTimeout(searchTimer); searchTimer = null; }
    var q = form.querySelector("#id_q");
    lastSearch = q ? q.value : null;
    if (window.htmx) { htmx.trigger(form, "desk:refresh"); } else { form.submit(); }
  }
  document.addEventListener("input", function (evt) {
    var form = liveForm();
    if (!form || evt.target.id !== "id_q" || evt.target.form !== form) return;
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      searchTimer = null;
      if (evt.target.value !== lastSearch) refresh(form);
    }, SEARCH_DELAY);
  });
  document.addEventListener("change", function (evt) {
    var form = liveForm();
    var t = evt.target;
    if (!form || !t.form || t.form !== form) return;
    var multi = t.closest && t.closest("[data-multi]");
    if (multi) multiUpdate(multi);
    if (t.id === "id_q") return;  // the search box has its own timing
    refresh(form);
  });
  document.addEventListener("submit", function (evt) {
    var form = liveForm();
    if (form && evt.target === form) {
      if (searchTimer) { clearTimeout(searchTimer); searchTimer = null; }
      var q = form.querySelector("#id_q");
      lastSearch = q ? q.value : null;
    }
  }, true);

  // The phone: the filters fold behind one button.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-filters-toggle]");
    if (!button) return;
    var form = document.getElementById(button.getAttribute("aria-controls"));
    var open = !form.classList.contains("is-open");
    form.classList.toggle("is-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Keyboard on the list: «/» to search, j/k to move between rows, Enter to open.
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.case-row")); }
  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var q = document.getElementById("id_q");
    if (!q || !liveForm()) return;
    if (evt.key === "Escape" && document.activeElement === q) { q.blur(); return; }
    if (typing(document.activeElement)) return;
    if (evt.key === "/") {
      evt.preventDefault();
      q.focus();
      q.select();
      return;
    }
    var list = rows();
    if (!list.length) return;
    var current = document.querySelector("tr.case-row.is-current");
    var index = list.indexOf(current);
    if (evt.key === "j" || evt.key === "k") {
      evt.preventDefault();
      index = evt.key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      if (current) current.classList.remove("is-current");
      var row = list[index];
      row.classList.add("is-current");
      var link = row.querySelector("a[data-case-link]");
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    } else if (evt.key === "Enter" && current) {
      evt.preventDefault();
      window.location.href = current.getAttribute("data-href");
    }
  });
  document.addEventListener("focusin", function (evt) {
    var row = evt.target.closest && evt.target.closest("tr.case-row");
    if (!row) return;
    var current = document.querySelector("tr.case-row.is-current");
    if (current && current !== row) current.classList.remove("is-current");
    row.classList.add("is-current");
  });

  // Notices: ticking a group ticks every notice of it.
  document.addEventListener("change", function (evt) {
    var t = evt.target;
    if (!t || !t.hasAttribute || !t.hasAttribute("data-group")) return;
    document.querySelectorAll('input[data-group-of="' + t.getAttribute("data-group") + '"]')
      .forEach(function (box) { box.checked = t.checked; });
  });

  // «Печать» on the card (bound here: no inline script under the CSP).
  document.addEventListener("click", function (evt) {
    if (evt.target && evt.target.matches && evt.target.matches("[data-print]")) window.print();
  });

  // «Скопировать ответ» at publication: the answer's text to the clipboard, to paste
  // under the resident's post (data-copy="<selector of the text>").
  document.addEventListener("click", function (evt) {
    var btn = evt.target && evt.target.closest && evt.target.closest("[data-copy]");
    if (!btn) return;
    var source = document.querySelector(btn.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var status = btn.parentNode.querySelector(".copy-status");
    var done = function () { if (status) status.textContent = btn.getAttribute("data-copied") || ""; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source); done(); });
    } else {
      fallbackCopy(source);
      done();
    }
  });
  function fallbackCopy(source) {
    // Plain-HTTP desks (no Clipboard API): select the hidden textarea and copy.
    source.removeAttribute("aria-hidden");
    source.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing to do */ }
    source.setAttribute("aria-hidden", "true");
    window.getSelection && window.getSelection().removeAllRanges();
  }

  // «Новых: N — обновить»: the list asks once a minute how many cases of the same query
  // came in after the newest shown; the refresh swaps the table and keeps the ticks.
  function newItemsCheck() {
    var box = document.querySelector("[data-new-items]");
    var table = document.querySelector("#case-table table[data-newest]");
    if (!box || !table || !table.getAttribute("data-newest")) return;
    var query = new URLSearchParams(window.location.search);
    ["page", "after"].forEach(function (k) { query.delete(k); });
    query.set("since", table.getAttribute("data-newest"));
    fetch(box.getAttribute("data-url") + "?" + query.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      box.querySelector("[data-new-items-count]").textContent = data.count;
      box.hidden = !data.count;
    }, function () { /* offline: try again next time */ });
  }
  // Also on demand (``desk:new-items-check``): a test need not wait a minute.
  document.addEventListener("desk:new-items-check", newItemsCheck);
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest && evt.target.closest("[data-new-items-refresh]");
    if (!btn || !window.htmx) return;
    var ticked = Array.prototype.filter.call(bulkBoxes(), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#case-table", swap: "innerHTML",
    }).then(function () {
      bulkBoxes().forEach(function (b) { if (ticked.indexOf(b.value) !== -1) b.checked = true; });
      bulkUpdate();
      document.querySelector("[data-new-items]").hidden = true;
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-new-items]");
    if (box) setInterval(newItemsCheck, parseInt(box.getAttribute("data-poll-ms"), 10) || 60000);
  });

  // After the table is swapped: the selection is gone with the old rows; the bar follows.
  document.addEventListener("htmx:afterSwap", function () { bulkUpdate(); });
  document.addEventListener("DOMContentLoaded", function () {
    bulkUpdate();
    var q = document.getElementById("id_q");
    if (q) lastSearch = q.value;
  });
  // On a phone the queues are one scrolling line: the open queue is brought into view, so
  // «Готово к публикации» is not the highlighted tab hidden off the right edge.
  document.addEventListener("DOMContentLoaded", function () {
    var current = document.querySelector(".list-head .queues a[aria-current='true']");
    var strip = current && current.closest("nav");
    if (strip && strip.scrollWidth > strip.clientWidth) {
      current.scrollIntoView({ inline: "center", block: "nearest" });
    }
  });
  // A form that undoes something (revoking an API key) asks first: data-confirm="…".
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form && form.matches && form.matches("form[data-confirm]") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      evt.preventDefault();
    }
  });
})();
