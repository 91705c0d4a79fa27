// The grades pages in one import for app.js, and the header's link to them: "Gradebooks" for
// tutors, the dean's office and admins, "My grades" for students.

import { currentPerson } from "../auth.js";
import { clear, h } from "../dom.js";
import { tr } from "../i18n.js";
import { GRADER_ROLES } from "./grades-common.js";
import "./gradebook-list.js";
import "./gradebook-view.js";
import "./grades-sheet.js";
import "./grades-mine.js";

class GradesLink extends HTMLElement {
  connectedCallback() {
    this.render();
  }

  render() {
    const role = currentPerson()?.role;
    clear(this);
    if (GRADER_ROLES.includes(role)) {
      this.append(tr(h("a", { href: "#/gradebook", class: "grades-link",
        "data-testid": "nav-gradebooks" }), "grades.nav_gradebooks"));
    } else if (role === "student") {
      this.append(tr(h("a", { href: "#/grades", class: "grades-link",
        "data-testid": "nav-grades" }), "grades.nav_mine"));
    }
  }
}

customElements.define("sabaq-grades-link", GradesLink);
