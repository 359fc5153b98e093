// Passkeys (WebAuthn) through the JSON API: adding one on the account page
// (POST /api/v1/me/passkeys/options, navigator.credentials.create, POST /api/v1/me/passkeys)
// and signing in with one alone on the sign-in page (POST /api/v1/session/passkey/options,
// navigator.credentials.get, POST /api/v1/session/passkey, which sets the session cookie).
// Bytes travel as base64url, as in WebAuthn's own JSON forms. Without WebAuthn in the browser
// the buttons stay hidden and the account page says so.

const encode = (buffer) => {
  let text = '';
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const decode = (text) => {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '==='.slice((b64.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
};

const supported = () =>
  typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && data.error && data.error.code) || `HTTP ${res.status}`);
  return data;
}

const descriptors = (list) => (list || []).map((c) => ({ ...c, id: decode(c.id) }));

function creationOptions(o) {
  return {
    ...o,
    challenge: decode(o.challenge),
    user: { ...o.user, id: decode(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  };
}

function requestOptions(o) {
  return { ...o, challenge: decode(o.challenge), allowCredentials: descriptors(o.allowCredentials) };
}

function registrationJSON(credential) {
  const r = credential.response;
  return {
    id: encode(credential.rawId),
    rawId: encode(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: encode(r.clientDataJSON),
      attestationObject: encode(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
}

function assertionJSON(credential) {
  const r = credential.response;
  return {
    id: encode(credential.rawId),
    rawId: encode(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: encode(r.clientDataJSON),
      authenticatorData: encode(r.authenticatorData),
      signature: encode(r.signature),
      userHandle: r.userHandle ? encode(r.userHandle) : null,
    },
  };
}

function showError(box, text) {
  box.textContent = text;
  box.hidden = false;
}

// The account page: add a passkey.
const add = document.getElementById('passkey-add');
if (add && supported()) {
  add.hidden = false;
  const unsupported = document.getElementById('passkey-unsupported');
  if (unsupported) unsupported.hidden = true;
  const error = document.getElementById('passkey-error');
  const button = add.querySelector('button[type=submit]');
  add.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      const options = await post('/api/v1/me/passkeys/options', {});
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(options.publicKey),
      });
      const body = { challenge_id: options.challenge_id, credential: registrationJSON(credential) };
      const name = document.getElementById('a-passkey-name').value.trim();
      if (name) body.name = name;
      await post('/api/v1/me/passkeys', body);
      window.location.assign('/account?passkey=1#passkeys');
    } catch (e) {
      console.warn('passkey registration failed', e);
      showError(error, add.dataset.failed);
      button.disabled = false;
    }
  });
}

// The sign-in page: sign in with a passkey alone.
const login = document.getElementById('passkey-login');
if (login && supported()) {
  login.hidden = false;
  const error = document.getElementById('passkey-error');
  const button = document.getElementById('passkey-sign-in');
  button.addEventListener('click', async () => {
    error.hidden = true;
    button.disabled = true;
    try {
      const options = await post('/api/v1/session/passkey/options', {});
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(options.publicKey),
      });
      await post('/api/v1/session/passkey', {
        challenge_id: options.challenge_id,
        credential: assertionJSON(credential),
      });
      const next = login.dataset.next || '';
      window.location.assign(next.startsWith('/') && !next.startsWith('//') ? next : '/dashboard');
    } catch (e) {
      console.warn('passkey sign-in failed', e);
      showError(error, login.dataset.failed);
      button.disabled = false;
    }
  });
}
