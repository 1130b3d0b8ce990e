// Passkeys: adds one from the account page (form#passkey-add), uses one at the second sign-in step
// (button#passkey-sign-in) or alone on the sign-in page (button#passkey-passwordless). The server sends WebAuthn
// options as JSON with binary fields in base64url; the browser API wants ArrayBuffers, and its answer goes back as
// JSON in base64url again. The challenge and its state stay on the server, bound to this session (or, before
// sign-in, to a one-time handle); the CSRF token travels in X-CSRF-Token.
(function () {
  'use strict';

  function toBuffer(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    const bytes = new Uint8Array(buffer);
    let raw = '';
    for (let i = 0; i < bytes.length; i += 1) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function post(url, csrf, body) {
    const res = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body ?? {}),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) {
      // A validation error names its fields; their messages say what to do.
      const fields = (data.fields || []).map((f) => f.message).join(' ');
      throw new Error(fields || data.message || 'The request failed; reload the page and try again.');
    }
    return data;
  }

  function showError(err) {
    const box = document.getElementById('passkey-error');
    if (!box) return;
    // A cancelled or timed-out prompt raises NotAllowedError: say so plainly.
    box.textContent = err && err.name === 'NotAllowedError'
      ? 'The passkey prompt was cancelled or timed out.'
      : (err && err.message) || 'The passkey did not work.';
    box.hidden = false;
  }

  function unsupported() {
    return !window.PublicKeyCredential || !navigator.credentials;
  }

  async function addPasskey(form) {
    const csrf = form.dataset.csrf;
    const name = form.elements.name.value;
    const options = await post('/account/passkeys/options', csrf, { password: form.elements.password.value });
    const pk = options.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.user.id = toBuffer(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
    const cred = await navigator.credentials.create({ publicKey: pk });
    const response = cred.response;
    await post('/account/passkeys', csrf, {
      name,
      credential: {
        id: cred.id,
        rawId: toText(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: toText(response.attestationObject),
          clientDataJSON: toText(response.clientDataJSON),
          transports: typeof response.getTransports === 'function' ? response.getTransports() : undefined,
        },
        extensions: cred.getClientExtensionResults(),
      },
    });
    window.location.assign('/account');
  }

  // The answer of navigator.credentials.get, as JSON.
  function answerOf(cred) {
    const response = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toText(response.authenticatorData),
        clientDataJSON: toText(response.clientDataJSON),
        signature: toText(response.signature),
        userHandle: toText(response.userHandle),
      },
      extensions: cred.getClientExtensionResults(),
    };
  }

  async function signIn(button) {
    const csrf = button.dataset.csrf;
    const options = await post('/mfa/passkey/options', csrf, {});
    const pk = options.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
    const cred = await navigator.credentials.get({ publicKey: pk });
    const done = await post('/mfa/passkey', csrf, { credential: answerOf(cred) });
    window.location.assign(done.next || '/');
  }

  // A sign-in with the passkey alone: the options come with a one-time handle, sent back with the answer.
  async function signInAlone() {
    const options = await post('/login/passkey/options', '', {});
    const pk = options.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
    const cred = await navigator.credentials.get({ publicKey: pk });
    const done = await post('/login/passkey', '', { handle: options.handle, credential: answerOf(cred) });
    window.location.assign(done.next || '/');
  }

  const form = document.getElementById('passkey-add');
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (unsupported()) { showError(new Error('This browser does not support passkeys.')); return; }
      addPasskey(form).catch(showError);
    });
  }
  const button = document.getElementById('passkey-sign-in');
  if (button) {
    button.addEventListener('click', () => {
      if (unsupported()) { showError(new Error('This browser does not support passkeys.')); return; }
      signIn(button).catch(showError);
    });
  }
  const alone = document.getElementById('passkey-passwordless');
  if (alone) {
    alone.addEventListener('click', () => {
      if (unsupported()) { showError(new Error('This browser does not support passkeys.')); return; }
      signInAlone().catch(showError);
    });
  }
}());
