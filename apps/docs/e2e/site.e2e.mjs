// Both locales render every page, with the right language and heading, and navigate.
import assert from "node:assert/strict";
import { test } from "./harness.mjs";

/** path (without locale prefix) → [English h1, Chinese h1]. */
export const PAGES = {
  "architecture.html": ["Architecture", "架构"],
  "getting-started.html": ["Getting started", "快速开始"],
  "page-walk.html": ["x86-64 page walk", "x86-64 页表遍历"],
  "buddy.html": ["Buddy allocator", "伙伴系统"],
  "zones.html": ["Zones and NUMA", "内存区域与 NUMA"],
  "slub.html": ["SLUB and kmalloc", "SLUB 与 kmalloc"],
  "page-replacement.html": ["Page replacement", "页面置换"],
  "address-space.html": ["Address space map", "地址空间图"],
  "page-fault.html": ["A page fault step by step", "缺页处理逐步演示"],
  "fork-cow.html": ["fork and copy-on-write", "fork 与写时复制"],
  "malloc.html": ["malloc: brk, mmap and what Rss counts", "malloc：brk、mmap 与 Rss 统计的是什么"],
  "process-layout.html": ["A process's layout", "进程的内存布局"],
  "page-cache.html": ["The page cache", "页缓存"],
  "read-write-mmap.html": ["read/write vs mmap vs sendfile", "read/write、mmap 与 sendfile"],
  "seeds.html": ["Seed coverage", "种子文章覆盖表"],
};

test("English home page renders the hero and links to every live page", async ({ page, goto, screenshot }) => {
  await goto("/");
  assert.equal(await page.getAttribute("html", "lang"), "en-US");
  assert.equal((await page.locator(".VPHero .name").innerText()).trim(), "mmsim");
  for (const p of ["/page-walk.html", "/buddy.html", "/slub.html", "/zones.html"]) {
    assert.ok((await page.locator(`.VPFeatures a[href="${p}"]`).count()) === 1, `feature link ${p}`);
  }
  await screenshot("home-en");
});

test("Chinese home page renders at /zh/ with zh-CN lang and Chinese text", async ({ page, goto, screenshot }) => {
  await goto("/zh/");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.equal((await page.locator(".VPHero .name").innerText()).trim(), "mmsim");
  assert.match(await page.locator(".VPHero .text").innerText(), /Linux 内存管理/);
  for (const p of ["/zh/page-walk.html", "/zh/buddy.html", "/zh/slub.html", "/zh/zones.html"]) {
    assert.ok((await page.locator(`.VPFeatures a[href="${p}"]`).count()) === 1, `feature link ${p}`);
  }
  await screenshot("home-zh");
});

test("every page exists in both locales with its own title", async ({ page, goto }) => {
  for (const [file, [en, zh]] of Object.entries(PAGES)) {
    await goto("/" + file, "load");
    assert.equal((await page.locator(".vp-doc h1").first().innerText()).replace(/\s*\u200b?#?$/, "").trim(), en, file);
    await goto("/zh/" + file, "load");
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN", "/zh/" + file);
    assert.equal((await page.locator(".vp-doc h1").first().innerText()).replace(/\s*\u200b?#?$/, "").trim(), zh, "/zh/" + file);
  }
});

test("the language menu switches from an English page to its Chinese twin", async ({ page, goto, screenshot }) => {
  await goto("/architecture.html");
  await page.locator(".VPNavBarTranslations").hover();
  await page.locator('.VPNavBarTranslations a[href="/zh/architecture.html"]').click();
  await page.waitForURL(/\/zh\/architecture\.html$/);
  await page.locator(".vp-doc h1", { hasText: "架构" }).waitFor();
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await screenshot("architecture-zh");
});

test("an unknown page answers 404 with VitePress's not-found page", async ({ page, url }) => {
  const res = await page.goto(url + "/no-such-page.html");
  assert.equal(res.status(), 404);
  assert.match(await page.content(), /404/);
}, { allowHttpErrors: true });
