// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) el.form.submit();
});
document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});
