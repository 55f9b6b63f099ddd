// Card payment on the order page: Stripe.js Elements with the order's client secret. The order turns
// paid when Stripe's webhook reaches the server; until then the page says it is waiting.
(function () {
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  // Stripe.js writes its own messages (a declined card) in the page's language.
  var stripe = Stripe(form.dataset.key, { locale: form.dataset.locale });
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("card-pay");
  var label = button.textContent;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    button.textContent = button.dataset.busy;
    errors.hidden = true;
    stripe.confirmCardPayment(form.dataset.secret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        errors.textContent = result.error.message;
        errors.hidden = false;
        button.disabled = false;
        button.textContent = label;
      } else {
        window.location.assign(form.dataset.done);
      }
    });
  });
})();
