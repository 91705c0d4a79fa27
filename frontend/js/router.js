// Hash routes (#/, #/signin, #/lobby/12, #/room/12, #/attendance/12): no server route is needed.

const ROUTES = [
  [/^#?\/?$/, "home"],
  [/^#\/signin$/, "signin"],
  [/^#\/lobby\/(\d+)$/, "lobby"],
  [/^#\/room\/(\d+)$/, "room"],
  [/^#\/attendance\/(\d+)$/, "attendance"],
  [/^#\/inbox(?:\/(\d+))?$/, "inbox"],
  [/^#\/assignments(?:\/(\d+))?$/, "assignments"],
  [/^#\/gradebook$/, "gradebooks"],
  [/^#\/gradebook\/(\d+)\/(\d+)$/, "gradebook"],
  [/^#\/sheet\/(\d+)$/, "sheet"],
  [/^#\/grades$/, "grades"],
  [/^#\/recordings\/session\/(\d+)$/, "recordings_session"],
  [/^#\/recordings\/course\/(\d+)$/, "recordings_course"],
  [/^#\/exam\/(\d+)$/, "exam"],
  [/^#\/proctor$/, "proctor_queue"],
  [/^#\/proctor\/(\d+)$/, "proctor_grid"],
  [/^#\/proctor\/(\d+)\/review\/(\d+)$/, "proctor_review"],
];

export function currentRoute() {
  const hash = window.location.hash || "#/";
  for (const [pattern, name] of ROUTES) {
    const found = hash.match(pattern);
    if (found) return { name, id: found[1] ? Number(found[1]) : null };
  }
  return { name: "notfound", id: null };
}

export function startRouter(render) {
  window.addEventListener("hashchange", () => render(currentRoute()));
  render(currentRoute());
}

export function go(path) {
  if (window.location.hash === path) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = path;
}
