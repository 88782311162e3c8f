// Behaviour shared by every page. Inline handlers (onsubmit=…) are refused by the
// Content-Security-Policy, so forms ask for confirmation through data-confirm instead.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
