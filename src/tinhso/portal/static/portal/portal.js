// "Print" and "save as PDF" both open the browser's print dialog (save = print to PDF).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (!button) return;
  event.preventDefault();
  window.print();
});
