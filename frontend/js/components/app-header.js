// The page header: brand, the signed-in person, language choice and sign-out.

import { currentPerson, rememberLocale, signOut } from "../auth.js";
import { clear, h } from "../dom.js";
import { currentLocale, LOCALES, setLocale, tr } from "../i18n.js";

class AppHeader extends HTMLElement {
  connectedCallback() {
    this.render();
    this.onAuth = () => this.render();
    window.addEventListener("sabaq:auth", this.onAuth);
    window.addEventListener("sabaq:locale", this.onAuth);
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:auth", this.onAuth);
    window.removeEventListener("sabaq:locale", this.onAuth);
  }

  render() {
    const person = currentPerson();
    const banner = h("header", { class: "app-header", role: "banner" },
      h("a", { class: "brand", href: "#/", "data-testid": "brand" },
        h("span", { class: "brand-mark", "aria-hidden": "true" }, "S"),
        tr(h("span", { class: "brand-name" }), "app.name")),
      person ? h("sabaq-nav") : null,
      h("div", { class: "header-tools" },
        person ? h("sabaq-grades-link") : null,
        person ? this.whoAmI(person) : null,
        this.languageSwitch(),
        person ? this.signOutButton() : null));
    clear(this).append(banner);
  }

  whoAmI(person) {
    return h("p", { class: "who", "data-testid": "who" },
      h("span", { class: "who-name" }, person.full_name),
      tr(h("span", { class: "who-role", "data-testid": "who-role" }), `role.${person.role}`));
  }

  languageSwitch() {
    const select = h("select", {
      id: "language", "data-testid": "language-select",
      onchange: (event) => this.changeLanguage(event.target.value),
    });
    for (const code of LOCALES) {
      const option = tr(h("option", { value: code, lang: code }), `language.${code}`);
      option.selected = code === currentLocale();
      select.append(option);
    }
    return h("div", { class: "field-inline" },
      tr(h("label", { for: "language" }), "app.language"), select);
  }

  signOutButton() {
    return tr(h("button", {
      type: "button", class: "button secondary", "data-testid": "sign-out",
      onclick: () => signOut(),
    }), "app.sign_out");
  }

  async changeLanguage(code) {
    await setLocale(code);
    await rememberLocale(code).catch(() => null);
  }
}

customElements.define("sabaq-header", AppHeader);
