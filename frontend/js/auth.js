// The signed-in person: sign-in, sign-out, the remembered locale.

import { api, ApiError, setCsrf } from "./api.js";

let person = null;

function changed() {
  window.dispatchEvent(new CustomEvent("sabaq:auth", { detail: person }));
}

function accept(data) {
  setCsrf(data.csrf_token);
  person = data.person;
  changed();
  return person;
}

export function currentPerson() {
  return person;
}

export async function loadMe() {
  try {
    return accept(await api("/api/me"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      person = null;
      return null;
    }
    throw error;
  }
}

export async function signIn(login, password) {
  return accept(await api("/api/auth/login", { method: "POST", body: { login, password } }));
}

export async function signOut() {
  try {
    await api("/api/auth/logout", { method: "POST" });
  } finally {
    setCsrf(null);
    person = null;
    changed();
  }
}

export async function rememberLocale(locale) {
  if (!person || person.locale === locale) return;
  const data = await api("/api/me", { method: "PATCH", body: { locale } });
  person = data.person;
}
