/* Password show/hide. No network, storage or cookies. */
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var inputs = document.querySelectorAll('form input[type="password"]');
    [].forEach.call(inputs, function (input, i) {
      var button = document.createElement('button');
      function set(show) {
        input.type = show ? 'text' : 'password';
        button.setAttribute('aria-pressed', String(show));
      }
      input.id = input.id || 'password-' + i;
      button.type = 'button';
      button.className = 'password-toggle';
      // A toggle keeps one label; its state is aria-pressed (a changing label would be read
      // as "Hide password, pressed").
      button.textContent = 'Show password';
      button.setAttribute('aria-controls', input.id);
      set(false);
      button.addEventListener('click', function () {
        set(input.type === 'password');
      });
      if (input.form) {
        input.form.addEventListener('submit', function () { set(false); });
      }
      input.insertAdjacentElement('afterend', button);
    });
  });
}());
