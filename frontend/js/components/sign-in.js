// The sign-in form.

import { ApiError } from "../api.js";
import { signIn } from "../auth.js";
import { h } from "../dom.js";
import { setLocale, tr } from "../i18n.js";
import { go } from "../router.js";

class SignIn extends HTMLElement {
  connectedCallback() {
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "signin-error" });
    const form = h("form", { class: "card narrow", novalidate: true, onsubmit: (e) => this.submit(e) },
      tr(h("h1", { tabindex: "-1" }), "signin.title"),
      tr(h("p", { class: "lead" }), "signin.lead"),
      this.field("login", "signin.login", "text", "username"),
      this.field("password", "signin.password", "password", "current-password"),
      this.error,
      tr(h("button", { type: "submit", class: "button primary wide", "data-testid": "signin-submit" }),
        "signin.submit"));
    this.append(h("div", { class: "page-center" }, form));
  }

  field(name, key, type, autocomplete) {
    return h("div", { class: "field" },
      tr(h("label", { for: `signin-${name}` }), key),
      h("input", {
        id: `signin-${name}`, name, type, autocomplete, required: true,
        "data-testid": `signin-${name}`,
      }));
  }

  async submit(event) {
    event.preventDefault();
    const form = event.target;
    const login = form.elements.login.value.trim();
    const password = form.elements.password.value;
    if (!login || !password) {
      tr(this.error, "signin.missing");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const person = await signIn(login, password);
      await setLocale(person.locale);
      go("#/");
    } catch (error) {
      const key = error instanceof ApiError && error.status === 401 ? "signin.wrong"
        : error instanceof ApiError && error.status === 429 ? "signin.too_many" : "error.network";
      tr(this.error, key);
      form.elements.password.focus();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

customElements.define("sabaq-sign-in", SignIn);
