// The offline page: go back to the dashboard as soon as the connection returns.
window.addEventListener('online', () => { window.location.href = '/dashboard'; });
