// Behaviour shared by every page. Inline handlers (onsubmit=…) are refused by the
// Content-Security-Policy, so forms ask for confirmation through data-confirm instead,
// on the form or on the button pressed (a form with a "preview" and a "send" button).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || (event.target.dataset && event.target.dataset.confirm);
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
