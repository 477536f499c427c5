// Small behaviours of console pages, here rather than inline: the pages' policy runs no inline script.
(function () {
  // A button with data-print prints the page (the invitation codes).
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
  // An element with data-reload-after="ms" reloads the page after that long (image jobs still running).
  const reload = document.querySelector('[data-reload-after]');
  if (reload) {
    const ms = parseInt(reload.getAttribute('data-reload-after'), 10);
    if (ms > 0) setTimeout(function () { location.reload(); }, ms);
  }
})();
