// Progressive enhancement for forms: post them with fetch, then let the page refresh the part
// that changed. Without JavaScript the same forms post and redirect.

export async function postForm(form, submitter) {
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  const res = await fetch(form.action, {
    method: 'POST',
    body: new URLSearchParams(body),
    credentials: 'same-origin',
    redirect: 'follow',
  });
  return res;
}

// Intercepts every form matching `selector` inside `root` (also ones added later).
export function enhance(root, selector, handler) {
  root.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(selector)) return;
    event.preventDefault();
    const submitter = event.submitter;
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await handler(form, submitter);
    } catch (err) {
      console.warn('falling back to a plain form post', err);
      form.submit();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}
