// Small helpers only; the pages work without JavaScript.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.querySelector(".messages") || document.createElement("ul");
  box.className = "messages";
  box.innerHTML = '<li class="msg msg-error" role="alert">' +
    (evt.detail.xhr.status === 409 ? "Сообщение уже изменил другой пользователь. Обновите страницу."
                                    : "Ошибка " + evt.detail.xhr.status) + "</li>";
  document.getElementById("main").prepend(box);
});
