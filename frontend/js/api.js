// The JSON API: cookie session plus the CSRF header on state-changing requests.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

export function csrf() {
  return csrfToken;
}

/** A JSON request; with ``type`` the body (a Blob) is sent as it is, with that Content-Type. */
export async function api(path, { method = "GET", body, type } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = type ?? "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || type ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "network", String(error));
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = data?.error ?? {};
    throw new ApiError(response.status, problem.code ?? "server_error", problem.message ?? "",
      problem.details ?? null);
  }
  return data;
}
