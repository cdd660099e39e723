#!/usr/bin/env node
// A small static file server for the built docs (.vitepress/dist), bound to 127.0.0.1 only
// (`vitepress preview` ignores --host and listens on every interface). Used by `pnpm serve`,
// `pnpm docs` at the root and the e2e test. It maps VitePress URLs to files: `/x` → `x.html`,
// `/dir/` → `dir/index.html`; anything else is a 404 with VitePress's 404.html.
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_ROOT = path.resolve(HERE, "../.vitepress/dist");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

async function isFile(p) {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Resolves a URL path to a file under root, or null (never escapes root). */
async function resolveFile(root, urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath.split("?")[0].split("#")[0]);
  } catch {
    return null;
  }
  const abs = path.resolve(root, "." + path.posix.normalize("/" + rel));
  if (abs !== root && !abs.startsWith(root + path.sep)) return null;
  const candidates = rel.endsWith("/") ? [path.join(abs, "index.html")] : [abs, abs + ".html", path.join(abs, "index.html")];
  for (const c of candidates) if (await isFile(c)) return c;
  return null;
}

/**
 * Starts the server. port 0 (the default) picks a free port. Resolves to { url, close }, where
 * url has no trailing slash (http://127.0.0.1:PORT) and close() resolves once the server stopped.
 */
export async function startServer({ root = DEFAULT_ROOT, host = "127.0.0.1", port = 0 } = {}) {
  const absRoot = path.resolve(root);
  const server = createServer(async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const file = await resolveFile(absRoot, req.url ?? "/");
    const status = file ? 200 : 404;
    const body = file ?? path.join(absRoot, "404.html");
    if (!(await isFile(body))) {
      res.writeHead(404, { "content-type": MIME[".txt"] }).end("404 not found\n");
      return;
    }
    res.writeHead(status, {
      "content-type": MIME[path.extname(body)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(body).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!(await isFile(path.join(DEFAULT_ROOT, "index.html")))) {
    console.error(`static-server: ${DEFAULT_ROOT}/index.html not found; run "pnpm --filter @mmsim/docs build" first`);
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4173);
  const { url, close } = await startServer({ port });
  console.log(`mmsim docs: ${url}/  (Ctrl+C to stop)`);
  const stop = () => close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
