// Shanhuo's tests: Stripe(...).confirmCardPayment as real Stripe.js does it (see stripe_js.py).
// Appended to localstripe's fake Stripe.js, in the same script: `Element`, `LOCALSTRIPE_BASE_API`
// and localstripe's `Stripe` are the ones defined above.
(function () {
  const localstripeStripe = Stripe;

  // Nested data as Stripe.js form-encodes it: a[b][c]=value.
  function encode(params, prefix, value) {
    if (value === undefined || value === null) {
      return;
    }
    if (typeof value === 'object') {
      Object.keys(value).forEach(key => encode(params, `${prefix}[${key}]`, value[key]));
    } else {
      params.append(prefix, String(value));
    }
  }

  Stripe = function (apiKey) {
    const stripe = localstripeStripe(apiKey);
    // localstripe's own: the 3-D Secure box, then /_authenticate (for an intent in requires_action).
    const authenticate = stripe.confirmCardPayment;

    stripe.confirmCardPayment = async (clientSecret, data) => {
      const method = (data && data.payment_method) || {};
      if (!(method.card instanceof Element)) {
        return authenticate(clientSecret, data);
      }
      const match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || '');
      if (!match) {
        throw new Error('IntegrationError: Invalid value for confirmCardPayment intent secret: value ' +
                        'should be a client secret of the form ${id}_secret_${secret}.');
      }
      const value = method.card.value;
      if (!value || !value.card.number) {
        return {error: {type: 'validation_error', code: 'incomplete_number',
                        message: 'Your card number is incomplete.'}};
      }

      const params = new URLSearchParams();
      params.append('payment_method_data[type]', 'card');
      encode(params, 'payment_method_data[card]', value.card);
      const billing = Object.assign({}, method.billing_details || {});
      if (value.postal_code) {
        billing.address = Object.assign({postal_code: value.postal_code}, billing.address || {});
      }
      encode(params, 'payment_method_data[billing_details]', billing);
      params.append('expected_payment_method_type', 'card');
      params.append('use_stripe_sdk', 'true');
      params.append('key', apiKey);
      params.append('client_secret', clientSecret);

      try {
        const response = await fetch(`${LOCALSTRIPE_BASE_API}/v1/payment_intents/${match[1]}/confirm`, {
          method: 'POST',
          headers: {'Content-Type': 'application/x-www-form-urlencoded'},
          body: params.toString(),
        });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) {
          return {error: body.error || {type: 'api_error', message: `HTTP ${response.status}`}};
        }
        if (body.status !== 'requires_action') {
          return {paymentIntent: body};
        }
        const result = await authenticate(clientSecret);
        const intent = result.paymentIntent;
        if (intent && intent.status === 'requires_payment_method') {  // the shopper failed 3-D Secure
          const failure = intent.last_payment_error || {};
          return {error: {type: 'invalid_request_error', code: 'payment_intent_authentication_failure',
                          message: failure.message || 'The provided PaymentMethod has failed authentication.',
                          payment_intent: intent}};
        }
        return result;
      } catch (err) {
        return {error: {type: 'api_connection_error', message: String(err)}};
      }
    };
    return stripe;
  };
})();
