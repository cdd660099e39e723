// A tiny test runner for the docs e2e: each test gets a fresh browser page on the built site,
// page errors and console errors are collected and fail the test, and the run ends with the one
// line CI reads: "N passed, N failed".
import os from "node:os";
import path from "node:path";
import { existsSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { DEFAULT_ROOT, startServer } from "../scripts/static-server.mjs";

export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? os.tmpdir();

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

const tests = [];

/**
 * Registers a test: fn({ page, url, goto, screenshot }) runs on a fresh page. The test fails on
 * any page error, console error or HTTP error response, unless opts.allowHttpErrors is set
 * (then HTTP error responses and the console errors they cause are allowed).
 */
export function test(name, fn, opts = {}) {
  tests.push({ name, fn, opts });
}

/** Runs every registered test; resolves to the exit code (0 all passed, 1 otherwise). */
export async function run() {
  let passed = 0;
  let failed = 0;
  if (!existsSync(path.join(DEFAULT_ROOT, "index.html"))) {
    console.log(`e2e: ${DEFAULT_ROOT}/index.html not found: build the site first (pnpm --filter @mmsim/docs build)`);
    console.log(`0 passed, ${tests.length} failed`);
    return 1;
  }
  let server;
  let browser;
  try {
    server = await startServer({ port: 0 });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
    });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const t of tests) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        if (t.opts.allowHttpErrors && m.text().startsWith("Failed to load resource")) return;
        errors.push(`console.error: ${m.text()}`);
      });
      page.on("response", (r) => {
        if (r.status() >= 400 && !t.opts.allowHttpErrors) errors.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      const started = performance.now();
      try {
        await t.fn({
          page,
          url: server.url,
          goto: async (p, waitUntil = "networkidle") => {
            const res = await page.goto(server.url + p, { waitUntil });
            if (!res || res.status() !== 200) throw new Error(`GET ${p}: status ${res?.status()}`);
            return res;
          },
          // The whole page, plus the live component alone (easier to look at) when there is one.
          screenshot: async (name) => {
            const file = path.join(SCREENSHOT_DIR, `mmsim-docs-${name}.png`);
            await page.screenshot({ path: file, fullPage: true });
            const live = page.locator(".live").first();
            if ((await live.count()) > 0) await live.screenshot({ path: path.join(SCREENSHOT_DIR, `mmsim-docs-${name}-live.png`) });
            return file;
          },
        });
        if (errors.length) throw new Error(`errors on the page:\n  ${errors.join("\n  ")}`);
        passed++;
        console.log(`  ✓ ${t.name} (${Math.round(performance.now() - started)} ms)`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${t.name}`);
        console.log(String(e?.stack ?? e).replace(/^/gm, "      "));
      } finally {
        await context.close();
      }
    }
  } catch (e) {
    // The server or the browser did not start: every test counts as failed.
    console.log(`e2e: setup failed: ${e?.stack ?? e}`);
    failed = tests.length - passed || 1;
  } finally {
    await browser?.close();
    await server?.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
