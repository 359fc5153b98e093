// The new-shop form: the time zone guessed from this browser (the owner is usually in the shop),
// and a slug suggested as the name is typed while the slug field is untouched.
const tz = document.querySelector('#n-tz[data-guess=browser]');
if (tz) {
  try {
    const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (guess) tz.value = guess;
  } catch { /* the server's default stays */ }
}

const name = document.getElementById('n-name');
const slug = document.getElementById('n-slug');
if (name && slug) {
  let touched = slug.value !== '';
  slug.addEventListener('input', () => { touched = true; });
  name.addEventListener('input', () => {
    if (touched) return;
    // The ASCII words of the name joined by - (the server also romanises Hangul when the
    // field is left empty: orderbell_core::text::slug_from_name).
    const words = name.value.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
    const made = words.join('-').slice(0, 40).replace(/-+$/, '');
    slug.placeholder = made.length >= 2 ? made : '';
  });
}
