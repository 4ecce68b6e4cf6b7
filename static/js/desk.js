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
    if (evt.target && evt.target.matches && evt.target.matches("select[data-autosubmit]")) {
      evt.target.form.submit();
    }
  });

  // Bulk assignment: "select all" on the list.
  document.addEventListener("change", function (evt) {
    if (evt.target && evt.target.id === "bulk-all") {
      document.querySelectorAll('input[name="ids"][form="bulk-assign"]').forEach(function (box) {
        box.checked = evt.target.checked;
      });
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
