import { api, ApiError } from './api.js';

const form = document.getElementById('login') as HTMLFormElement;
const error = document.getElementById('error')!;
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData(form);
  error.textContent = '';
  api('POST', '/auth/login', { username: String(data.get('username') ?? ''), password: String(data.get('password') ?? '') })
    .then(() => window.location.assign('/'))
    .catch((err: unknown) => {
      error.textContent = err instanceof ApiError ? err.message : 'cannot reach the server';
    });
});
