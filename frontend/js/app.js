// The composition root: who is signed in, which language, which page.

import { currentPerson, loadMe } from "./auth.js";
import { initialLocale, setLocale, t } from "./i18n.js";
import { currentRoute, go, startRouter } from "./router.js";
import { clear, h } from "./dom.js";
import "./components/app-header.js";
import "./components/sign-in.js";
import "./components/schedule-view.js";
import "./components/lobby-view.js";
import "./components/room-view.js";
import "./components/attendance-view.js";
import "./components/app-nav.js";
import "./components/inbox-view.js";
import "./components/assignments-view.js";
import { startOffline } from "./offline/register.js";
import "./components/grades-pages.js";
import "./components/recordings-view.js";
import "./components/exam-view.js";
import "./components/proctor-queue.js";
import "./components/proctor-grid.js";
import "./components/proctor-review.js";

const PAGES = {
  signin: { tag: "sabaq-sign-in", title: "signin.title", public: true },
  home: { tag: "sabaq-schedule", title: "schedule.title" },
  lobby: { tag: "sabaq-lobby", title: "lobby.title" },
  room: { tag: "sabaq-room", title: "room.title" },
  attendance: { tag: "sabaq-attendance", title: "attendance.page_title" },
  inbox: { tag: "sabaq-inbox", title: "inbox.title" },
  assignments: { tag: "sabaq-assignments", title: "assignments.title" },
  gradebooks: { tag: "sabaq-gradebooks", title: "grades.gradebooks_title" },
  gradebook: { tag: "sabaq-gradebook", title: "grades.gradebook_title" },
  sheet: { tag: "sabaq-grade-sheet", title: "grades.sheet_title" },
  grades: { tag: "sabaq-my-grades", title: "grades.mine_title" },
  recordings_session: { tag: "sabaq-recordings", title: "recordings.title_session" },
  recordings_course: { tag: "sabaq-course-recordings", title: "recordings.title_course" },
  exam: { tag: "sabaq-exam", title: "proctoring.exam_title" },
  proctor_queue: { tag: "sabaq-proctor-queue", title: "proctoring.queue_title" },
  proctor_grid: { tag: "sabaq-proctor-grid", title: "proctoring.grid_title" },
  proctor_review: { tag: "sabaq-proctor-review", title: "proctoring.review_title" },
  notfound: { tag: "sabaq-schedule", title: "schedule.title" },
};

function setTitle(page) {
  document.title = `${t(page.title)} — ${t("app.name")}`;
}

function render(route) {
  const main = document.getElementById("main");
  let page = PAGES[route.name];
  if (!page.public && !currentPerson()) {
    if (route.name !== "signin") go("#/signin");
    return;
  }
  if (route.name === "signin" && currentPerson()) {
    go("#/");
    return;
  }
  const view = h(page.tag, { "session-id": route.id ?? "" });
  clear(main).append(view);
  setTitle(page);
  main.dataset.page = route.name;
  const heading = main.querySelector("h1");
  if (heading && document.activeElement !== document.body) heading.focus?.();
}

async function start() {
  const person = await loadMe().catch(() => null);
  await setLocale(person?.locale ?? initialLocale());
  window.addEventListener("sabaq:locale", () => setTitle(PAGES[currentRoute().name]));
  window.addEventListener("sabaq:auth", (event) => {
    if (!event.detail) go("#/signin");
  });
  startOffline();
  startRouter(render);
}

window.sabaq = window.sabaq ?? {};
window.sabaq.ready = start();
