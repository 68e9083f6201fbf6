// The 15 pages of the frontend, walked with a client generated from /api/v1/openapi.json
// (openapi-typescript + openapi-fetch), from another origin, signed in with e-mail and
// password: tests/test_typescript_client.py type-checks it with tsc --strict against the
// live document and runs it against a live app. A page counts once its actions worked.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api.js";

declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

type Schemas = components["schemas"];
type RunBody = Schemas["RunBodyOut"];

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const API = env("IGNY8_API");
const ORIGIN = env("IGNY8_ORIGIN");
const WEBHOOK = env("IGNY8_WEBHOOK");
const pages: string[] = [];

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

// What a browser does for a page on ORIGIN with credentials: "include": it sends Origin and
// the session cookie, and lets the page read an answer only if CORS allows ORIGIN. Node's
// fetch keeps no cookies, so the cookie is taken from Set-Cookie here; the CSRF token from
// the sign-in answer goes on every write, as a SPA would send it.
let cookie = "";
let csrf = "";
let bearer = "";
const browser: Middleware = {
  onRequest({ request }) {
    request.headers.set("Origin", ORIGIN);
    if (bearer) request.headers.set("Authorization", `Bearer ${bearer}`);
    else if (cookie) request.headers.set("Cookie", cookie);
    if (csrf && request.method !== "GET") request.headers.set("X-CSRF-Token", csrf);
    return request;
  },
  onResponse({ response }) {
    const allowed = response.headers.get("Access-Control-Allow-Origin");
    check(allowed === ORIGIN, `${response.url}: Access-Control-Allow-Origin is ${allowed}`);
    check(response.headers.get("Access-Control-Allow-Credentials") === "true", "no credentials");
    for (const line of response.headers.getSetCookie()) {
      if (line.startsWith("igny8_session=")) cookie = line.split(";")[0];
    }
    return response;
  },
};
const api = createClient<paths>({ baseUrl: API });
api.use(browser);

// An answer's data, or a thrown error naming the route and the problem.
function ok<T>(answer: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (answer.error !== undefined || answer.data === undefined) {
    throw new Error(`${what}: HTTP ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

const WAIT = { Prefer: "wait=30" };

async function signIn(): Promise<void> {
  // The preflight a browser sends before a PATCH with these headers.
  const preflight = await fetch(`${API}/api/v1/sites/1/keywords/1`, {
    method: "OPTIONS",
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "PATCH",
      "Access-Control-Request-Headers": "content-type,if-match,x-csrf-token",
    },
  });
  check(preflight.ok, `preflight answered ${preflight.status}`);
  check(preflight.headers.get("Access-Control-Allow-Origin") === ORIGIN, "preflight origin");
  const allowed = (preflight.headers.get("Access-Control-Allow-Methods") ?? "").toUpperCase();
  check(allowed.includes("PATCH"), `preflight methods: ${allowed}`);
  const headers = (preflight.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
  check(headers.includes("if-match") && headers.includes("x-csrf-token"), `headers: ${headers}`);

  const anonymous = await api.GET("/api/v1/me");
  check(anonymous.response.status === 401, "signed out, /me is 401");
  check(anonymous.response.headers.get("WWW-Authenticate"), "a 401 says how to authenticate");
  const wrong = await api.POST("/api/v1/auth/sign-in", {
    body: { email: env("IGNY8_EMAIL"), password: "not the password" },
  });
  check(wrong.response.status === 401 && wrong.error?.code === "invalid_credentials", "wrong");
  const session: Schemas["SessionOut"] = ok(
    await api.POST("/api/v1/auth/sign-in", {
      body: { email: env("IGNY8_EMAIL"), password: env("IGNY8_PASSWORD") },
    }),
    "sign-in",
  );
  check(session.csrf_token && cookie, "a session: its cookie and CSRF token");
  csrf = session.csrf_token;
  const me = ok(await api.GET("/api/v1/auth/session"), "session");
  check(me.user.email === env("IGNY8_EMAIL") && me.user.role === "owner", "signed in as owner");
  // A write without the CSRF token is refused: the cookie alone is not enough.
  const forged = await fetch(`${API}/api/v1/tokens`, {
    method: "POST",
    headers: { Origin: ORIGIN, Cookie: cookie, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "forged" }),
  });
  check(forged.status === 403, `a write without CSRF answered ${forged.status}`);
}

async function sidebar(): Promise<void> {
  const modules = ok(await api.GET("/api/v1/modules"), "modules").items;
  const on = new Set(modules.filter((m) => m.enabled).map((m) => m.key));
  for (const key of ["clustering", "ideas", "writer", "images", "publisher"]) {
    check(on.has(key), `module ${key} is on`);
  }
  pages.push("sidebar");
}

async function keywordsPage(site: number): Promise<number[]> {
  const added = ok(
    await api.POST("/api/v1/sites/{site_id}/keywords", {
      params: { path: { site_id: site } },
      body: {
        keywords: [
          { keyword: "sourdough starter", volume: 900, difficulty: 30 },
          "sourdough bread recipe",
          "rye sourdough",
          "whole wheat sourdough",
          "sourdough discard pancakes",
          "sourdough discard crackers",
          "banana bread",
          "easy banana bread",
        ],
      },
    }),
    "add keywords",
  );
  check(added.created === 8, "8 keywords added");
  const found = ok(
    await api.GET("/api/v1/sites/{site_id}/keywords", {
      params: { path: { site_id: site }, query: { q: "sourdough", sort: "-volume", per_page: 2 } },
    }),
    "search keywords",
  );
  check(found.total === 6 && found.items[0].keyword === "sourdough starter", "search, sort");
  check(found.next !== null, "a next link");
  const first = added.items[0].id;
  const read = await api.GET("/api/v1/sites/{site_id}/keywords/{item_id}", {
    params: { path: { site_id: site, item_id: first } },
  });
  const tag = read.response.headers.get("ETag");
  check(tag, "an item has its ETag");
  const edited = ok(
    await api.PATCH("/api/v1/sites/{site_id}/keywords/{item_id}", {
      params: { path: { site_id: site, item_id: first }, header: { "If-Match": tag } },
      body: { volume: 1000 },
    }),
    "edit keyword",
  );
  check(edited.volume === 1000, "edited");
  const stale = await api.PATCH("/api/v1/sites/{site_id}/keywords/{item_id}", {
    params: { path: { site_id: site, item_id: first }, header: { "If-Match": tag } },
    body: { volume: 1 },
  });
  check(stale.response.status === 412, "a stale ETag is 412");
  const extra = ok(
    await api.POST("/api/v1/sites/{site_id}/keywords", {
      params: { path: { site_id: site } },
      body: { keywords: ["delete me"] },
    }),
    "add one",
  ).items[0].id;
  const removed = await api.DELETE("/api/v1/sites/{site_id}/keywords/{item_id}", {
    params: { path: { site_id: site, item_id: extra } },
  });
  check(removed.response.status === 204, "deleted");
  // The page selects several rows and changes them at once.
  const selected = added.items.slice(0, 2).map((k) => k.id);
  const bulk = ok(
    await api.POST("/api/v1/sites/{site_id}/keywords/bulk-update", {
      params: { path: { site_id: site } },
      body: { ids: selected, changes: { difficulty: 40 } },
    }),
    "bulk update",
  );
  check(bulk.updated === 2, "two keywords changed at once");
  pages.push("keywords");
  return added.items.map((k) => k.id);
}

async function clustersPage(site: number): Promise<number[]> {
  const run: RunBody = ok(
    await api.POST("/api/v1/sites/{site_id}/keywords/cluster", {
      params: { path: { site_id: site }, header: WAIT },
      body: {},
    }),
    "cluster",
  );
  check(run.run.status === "succeeded", `clustering ${run.run.status}`);
  const clusters = ok(
    await api.GET("/api/v1/sites/{site_id}/clusters", { params: { path: { site_id: site } } }),
    "clusters",
  ).items;
  check(clusters.length >= 1 && clusters[0].keywords.length >= 3, "clusters with keywords");
  const renamed = ok(
    await api.PATCH("/api/v1/sites/{site_id}/clusters/{item_id}", {
      params: { path: { site_id: site, item_id: clusters[0].id } },
      body: { name: "Sourdough" },
    }),
    "rename cluster",
  );
  check(renamed.name === "Sourdough", "renamed");
  pages.push("clusters");
  return clusters.map((c) => c.id);
}

async function ideasPage(site: number, clusters: number[]): Promise<number[]> {
  ok(
    await api.POST("/api/v1/sites/{site_id}/clusters/ideas", {
      params: { path: { site_id: site }, header: WAIT },
      body: { cluster_ids: clusters.slice(0, 1) },
    }),
    "generate ideas",
  );
  const ideas = ok(
    await api.GET("/api/v1/sites/{site_id}/ideas", {
      params: { path: { site_id: site }, query: { cluster_id: clusters[0], status: "new" } },
    }),
    "ideas",
  ).items;
  check(ideas.length >= 1 && ideas[0].outline.every((s) => s.heading), "ideas with outlines");
  const edited = ok(
    await api.PATCH("/api/v1/sites/{site_id}/ideas/{item_id}", {
      params: { path: { site_id: site, item_id: ideas[0].id } },
      body: { title: "The sourdough guide", outline: [{ heading: "Starter", points: ["feed"] }] },
    }),
    "edit idea",
  );
  check(edited.outline[0].heading === "Starter", "outline edited");
  pages.push("ideas");
  return ideas.map((i) => i.id);
}

async function tasksPage(site: number, ideas: number[]): Promise<number> {
  const queued = ok(
    await api.POST("/api/v1/sites/{site_id}/tasks", {
      params: { path: { site_id: site } },
      body: { idea_ids: ideas.slice(0, 1) },
    }),
    "queue tasks",
  );
  check(queued.created === 1, "a task");
  const listed = ok(
    await api.GET("/api/v1/sites/{site_id}/tasks", {
      params: { path: { site_id: site }, query: { status: "queued" } },
    }),
    "tasks",
  );
  check(listed.total === 1 && listed.items[0].title === "The sourdough guide", "queued task");
  pages.push("tasks");
  return listed.items[0].id;
}

async function contentPage(site: number, task: number): Promise<number> {
  const written: RunBody = ok(
    await api.POST("/api/v1/sites/{site_id}/tasks/content", {
      params: { path: { site_id: site }, header: WAIT },
      body: { task_ids: [task] },
    }),
    "write",
  );
  check(written.run.status === "succeeded", `writing ${written.run.status}`);
  const contents = ok(
    await api.GET("/api/v1/sites/{site_id}/content", { params: { path: { site_id: site } } }),
    "content list",
  ).items;
  const id = contents[0].id;
  const read = await api.GET("/api/v1/sites/{site_id}/content/{item_id}", {
    params: { path: { site_id: site, item_id: id } },
  });
  const article = ok(read, "article");
  const tag = read.response.headers.get("ETag") ?? "";
  ok(
    await api.PATCH("/api/v1/sites/{site_id}/content/{item_id}", {
      params: { path: { site_id: site, item_id: id }, header: { "If-Match": tag } },
      body: { title: "Sourdough, step by step", html: article.html + "<p>Edited.</p>" },
    }),
    "edit article",
  );
  const revisions = ok(
    await api.GET("/api/v1/sites/{site_id}/content/{content_id}/revisions", {
      params: { path: { site_id: site, content_id: id } },
    }),
    "revisions",
  ).items;
  check(revisions.length >= 1, "the edit kept a revision");
  const restored = ok(
    await api.POST("/api/v1/sites/{site_id}/content/{content_id}/revisions/{revision_id}/restore", {
      params: { path: { site_id: site, content_id: id, revision_id: revisions[0].id } },
    }),
    "restore",
  );
  check(restored.title === article.title, "restored the earlier version");
  pages.push("content");
  return id;
}

async function imagesPage(site: number, content: number): Promise<void> {
  ok(
    await api.POST("/api/v1/sites/{site_id}/content/image-prompts", {
      params: { path: { site_id: site }, header: WAIT },
      body: { content_ids: [content] },
    }),
    "image prompts",
  );
  const pending = ok(
    await api.GET("/api/v1/sites/{site_id}/images", { params: { path: { site_id: site } } }),
    "images",
  ).items;
  check(pending.length >= 1, "images planned");
  ok(
    await api.POST("/api/v1/sites/{site_id}/images/generate", {
      params: { path: { site_id: site }, header: WAIT },
      body: { image_ids: pending.map((i) => i.id) },
    }),
    "generate images",
  );
  const images = ok(
    await api.GET("/api/v1/sites/{site_id}/images", { params: { path: { site_id: site } } }),
    "images",
  ).items;
  const shown = images[0];
  check(shown.status === "generated" && shown.url, "a generated image has a URL");
  const file = await fetch(new URL(shown.url, API));
  check(file.ok && file.headers.get("Content-Type") === "image/png", "the image is served");
  check((await file.arrayBuffer()).byteLength > 0, "with its bytes");
  ok(
    await api.PATCH("/api/v1/sites/{site_id}/images/{item_id}", {
      params: { path: { site_id: site, item_id: shown.id } },
      body: { alt: "A sourdough loaf" },
    }),
    "alt text",
  );
  const placed = ok(
    await api.GET("/api/v1/content/{content_id}", {
      params: { path: { content_id: content }, query: { figures: true } },
    }),
    "article with figures",
  );
  check(placed.html.includes("<figure") && placed.html.includes("A sourdough loaf"), "figures");
  pages.push("images");
}

// An SSE stream read as EventSource would, until ``until`` says stop: [event, data] pairs.
async function stream(
  path: string,
  until: (event: string, data: unknown) => boolean,
  opened?: () => Promise<void>,
): Promise<Array<[string, unknown]>> {
  const response = await fetch(`${API}${path}`, {
    headers: { Origin: ORIGIN, Cookie: cookie, Accept: "text/event-stream" },
  });
  check(response.ok && response.body, `${path} answered ${response.status}`);
  check(response.headers.get("Content-Type")?.startsWith("text/event-stream"), "an SSE stream");
  check(response.headers.get("Access-Control-Allow-Origin") === ORIGIN, "stream CORS");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const seen: Array<[string, unknown]> = [];
  let buffer = "";
  if (opened) await opened();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (!data.length) continue;
      const parsed: unknown = JSON.parse(data.join("\n"));
      seen.push([event, parsed]);
      if (until(event, parsed)) {
        await reader.cancel();
        return seen;
      }
    }
  }
  await reader.cancel();
  throw new Error(`${path}: the stream ended before its last event`);
}

async function publishingAndNotifications(site: number, content: number): Promise<void> {
  // First a target that is not there: the run fails, and the account's stream tells.
  ok(
    await api.PATCH("/api/v1/sites/{site_id}", {
      params: { path: { site_id: site } },
      body: { webhook_url: "http://127.0.0.1:9/nowhere", webhook_secret: "whsec-walkthrough" },
    }),
    "set a webhook",
  );
  let failedAnswer = 0;
  const told = await stream(
    "/api/v1/events",
    (event) => event === "notification",
    async () => {
      const failed = await api.POST("/api/v1/sites/{site_id}/content/publish", {
        params: { path: { site_id: site }, header: WAIT },
        body: { content_ids: [content] },
      });
      failedAnswer = failed.response.status;
      check(failed.error?.code === "publish_failed", `publish: ${JSON.stringify(failed.error)}`);
    },
  );
  check(failedAnswer === 502, `a failed publish answered ${failedAnswer}`);
  const notification = told.find(([event]) => event === "notification")?.[1] as
    | Schemas["NotificationEventOut"]
    | undefined;
  check(notification?.notification.kind === "run_failed", "the failed run was streamed");

  ok(
    await api.PATCH("/api/v1/sites/{site_id}", {
      params: { path: { site_id: site } },
      body: { webhook_url: WEBHOOK },
    }),
    "fix the webhook",
  );
  const published: RunBody = ok(
    await api.POST("/api/v1/sites/{site_id}/content/publish", {
      params: { path: { site_id: site }, header: WAIT },
      body: { content_ids: [content] },
    }),
    "publish",
  );
  check(published.run.status === "succeeded", `publishing ${published.run.status}`);
  const publications = ok(
    await api.GET("/api/v1/sites/{site_id}/publications", { params: { path: { site_id: site } } }),
    "publications",
  ).items;
  check(publications.some((p) => p.status === "published" && p.remote_url), "published");
  pages.push("publishing");

  const listed = ok(await api.GET("/api/v1/notifications"), "notifications").items;
  const kinds = new Set(listed.map((n) => n.kind));
  check(kinds.has("run_failed") && kinds.has("low_balance"), `kinds: ${[...kinds]}`);
  const read = ok(await api.POST("/api/v1/notifications/read"), "mark read");
  check(read.read >= 2, "marked read");
  pages.push("notifications");
}

async function runProgress(site: number, clusters: number[]): Promise<void> {
  // No Prefer: 202 with Location, then the run's own stream until it is done.
  const queued = await api.POST("/api/v1/sites/{site_id}/clusters/ideas", {
    params: { path: { site_id: site } },
    body: { cluster_ids: clusters },
  });
  check(queued.response.status === 202, `queued answered ${queued.response.status}`);
  const location = queued.response.headers.get("Location");
  check(location && queued.data, "a Location to follow");
  const events = await stream(`${location}/events`, (event) => event === "done");
  const done = events[events.length - 1][1] as RunBody;
  check(done.run.status === "succeeded" && done.run.items_done === clusters.length, "done");
  const runs = ok(
    await api.GET("/api/v1/runs", {
      params: { query: { status: "succeeded", operation: "idea_generation", site_id: site } },
    }),
    "runs",
  );
  check(runs.items.some((r) => r.id === done.run.id), "the run is listed");
  pages.push("run progress");
}

async function promptsPage(): Promise<void> {
  const prompts = ok(await api.GET("/api/v1/prompts"), "prompts").items;
  const clustering = prompts.find((p) => p.key === "clustering");
  check(clustering && clustering.source !== "account", "the global clustering prompt");
  const preview = ok(
    await api.POST("/api/v1/prompts/{key}/preview", {
      params: { path: { key: "clustering" } },
      body: { template: "Group {{ keywords | join(', ') }}", variables: { keywords: ["a", "b"] } },
    }),
    "preview",
  );
  check(preview.rendered === "Group a, b", `preview: ${preview.rendered}`);
  const mine = ok(
    await api.PUT("/api/v1/prompts/{key}", {
      params: { path: { key: "clustering" } },
      body: { template: "Cluster {{ keywords | join(', ') }} for {{ site_name }}" },
    }),
    "override",
  );
  check(mine.is_overridden && mine.global_template === clustering.template, "both templates");
  const reset = ok(
    await api.DELETE("/api/v1/prompts/{key}", { params: { path: { key: "clustering" } } }),
    "reset",
  );
  check(!reset.is_overridden, "reset");
  pages.push("prompts");
}

async function integrationPage(): Promise<void> {
  const settings = ok(await api.GET("/api/v1/settings/integration"), "settings");
  check(settings.can_override, "this plan may override");
  const models = ok(
    await api.GET("/api/v1/models", { params: { query: { type: "text" } } }),
    "models",
  ).items;
  const usable = models.find((m) => m.available);
  check(usable, "a text model that can be used now");
  const saved = ok(
    await api.PUT("/api/v1/settings/integration", {
      body: { text_model: usable.model_name, temperature: 0.4 },
    }),
    "save settings",
  );
  check(saved.temperature === 0.4 && !saved.using_global.temperature, "overridden");
  pages.push("integration settings");
}

async function usersAndTokens(): Promise<void> {
  const invited = ok(
    await api.POST("/api/v1/users", { body: { email: "editor@example.test", role: "viewer" } }),
    "invite",
  );
  check(invited.status === "invited", "invited");
  ok(
    await api.PATCH("/api/v1/users/{user_id}", {
      params: { path: { user_id: invited.id } },
      body: { role: "editor" },
    }),
    "change role",
  );
  const members = ok(await api.GET("/api/v1/users"), "users").items;
  check(members.some((m) => m.id === invited.id && m.role === "editor"), "role changed");
  const removed = await api.DELETE("/api/v1/users/{user_id}", {
    params: { path: { user_id: invited.id } },
  });
  check(removed.response.status === 204, "removed");

  const made = ok(await api.POST("/api/v1/tokens", { body: { name: "ci" } }), "token");
  check(made.token.startsWith(made.prefix ?? "-"), "the token, shown once");
  const tokens = ok(await api.GET("/api/v1/tokens"), "tokens").items;
  const listed = tokens.find((t) => t.id === made.id);
  check(listed && !("token" in listed), "listed without the token");
  bearer = made.token; // the new token works as a bearer token, from the same origin
  ok(await api.GET("/api/v1/me"), "me with the token");
  bearer = "";
  const revoked = await api.DELETE("/api/v1/tokens/{token_id}", {
    params: { path: { token_id: made.id } },
  });
  check(revoked.response.status === 204, "revoked");
  bearer = made.token;
  const refused = await api.GET("/api/v1/me");
  bearer = "";
  check(refused.response.status === 401, "a revoked token is refused");
  pages.push("users and tokens");
}

async function billingPage(): Promise<void> {
  const credits = ok(await api.GET("/api/v1/credits"), "credits");
  check(credits.balance > 0 && credits.items.length > 0, "balance and ledger");
  const settled = ok(
    await api.GET("/api/v1/credits", { params: { query: { type: "settle" } } }),
    "settlements",
  );
  check(settled.items.every((r) => r.type === "settle" && r.amount < 0), "charges");
  const usage = ok(
    await api.GET("/api/v1/usage", { params: { query: { group_by: "operation" } } }),
    "usage",
  );
  check(usage.totals.calls > 0 && usage.items.length >= 3, "usage by operation");
  check(/^\d+\.\d{8}$/.test(usage.totals.cost_usd), "money as a decimal string");
  pages.push("billing");
}

async function signOut(): Promise<void> {
  const out = await api.POST("/api/v1/auth/sign-out");
  check(out.response.status === 204, "signed out");
  const after = await api.GET("/api/v1/me");
  check(after.response.status === 401, "the session ended on the server");
  pages.push("sign-in and sign-out");
}

async function main(): Promise<void> {
  await signIn();
  const site = ok(
    await api.POST("/api/v1/sites", {
      body: { name: "Bakery", url: "https://bakery.example.test" },
    }),
    "create site",
  ).id;
  await sidebar();
  await keywordsPage(site);
  const clusters = await clustersPage(site);
  const ideas = await ideasPage(site, clusters);
  const task = await tasksPage(site, ideas);
  const content = await contentPage(site, task);
  await imagesPage(site, content);
  await publishingAndNotifications(site, content);
  await runProgress(site, clusters);
  await promptsPage();
  await integrationPage();
  await usersAndTokens();
  await billingPage();
  await signOut();
  console.log(JSON.stringify({ pages }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
