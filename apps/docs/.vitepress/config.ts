// VitePress configuration of the mmsim docs: two locales with the same page set, English at `/`
// and Chinese at `/zh/` (the seed articles the project grew from are Chinese).
// @mmsim/* packages are resolved to their TypeScript sources through the `mmsim-source` export
// condition, as tests and typecheck do, so the live pages never run a stale dist.
import { defineConfig } from "vitepress";
import type { DefaultTheme } from "vitepress";

type Page =
  | "architecture" | "getting-started" | "page-walk" | "buddy" | "zones" | "slub" | "page-replacement"
  | "address-space" | "page-fault" | "fork-cow"
  | "malloc" | "page-cache" | "seeds"
  | "read-write-mmap" | "process-layout";

const TITLES: Record<"en" | "zh", Record<Page, string>> = {
  en: {
    architecture: "Architecture",
    "getting-started": "Getting started",
    "page-walk": "x86-64 page walk",
    buddy: "Buddy allocator",
    zones: "Zones and NUMA",
    slub: "SLUB and kmalloc",
    "page-replacement": "Page replacement",
    "address-space": "Address space map",
    "page-fault": "A page fault step by step",
    "fork-cow": "fork and copy-on-write",
    malloc: "malloc: brk, mmap and Rss",
    "page-cache": "The page cache",
    "read-write-mmap": "read/write vs mmap",
    "process-layout": "A process's layout",
    seeds: "Seed coverage",
  },
  zh: {
    architecture: "架构",
    "getting-started": "快速开始",
    "page-walk": "x86-64 页表遍历",
    buddy: "伙伴系统",
    zones: "内存区域与 NUMA",
    slub: "SLUB 与 kmalloc",
    "page-replacement": "页面置换",
    "address-space": "地址空间图",
    "page-fault": "缺页处理逐步演示",
    "fork-cow": "fork 与写时复制",
    malloc: "malloc：brk、mmap 与 Rss",
    "page-cache": "页缓存",
    "read-write-mmap": "read/write 与 mmap",
    "process-layout": "进程的内存布局",
    seeds: "种子文章覆盖表",
  },
};

function sidebar(locale: "en" | "zh"): DefaultTheme.SidebarItem[] {
  const base = locale === "en" ? "/" : "/zh/";
  const t = TITLES[locale];
  const link = (p: Page) => ({ text: t[p], link: base + p });
  return [
    {
      text: locale === "en" ? "The project" : "项目",
      items: [link("architecture"), link("getting-started"), link("seeds")],
    },
    {
      text: locale === "en" ? "Hardware" : "硬件",
      items: [link("page-walk")],
    },
    {
      text: locale === "en" ? "Physical memory" : "物理内存",
      items: [link("zones"), link("buddy")],
    },
    {
      text: locale === "en" ? "Kernel allocators" : "内核分配器",
      items: [link("slub")],
    },
    {
      text: locale === "en" ? "Virtual memory" : "虚拟内存",
      items: [link("address-space"), link("page-fault"), link("fork-cow"), link("malloc"), link("process-layout")],
    },
    {
      text: locale === "en" ? "Files" : "文件",
      items: [link("page-cache"), link("read-write-mmap")],
    },
    {
      text: locale === "en" ? "Replacement policies" : "置换策略",
      items: [link("page-replacement")],
    },
  ];
}

function nav(locale: "en" | "zh"): DefaultTheme.NavItem[] {
  const base = locale === "en" ? "/" : "/zh/";
  const t = TITLES[locale];
  return [
    { text: t["getting-started"], link: base + "getting-started" },
    { text: t.architecture, link: base + "architecture" },
    { text: locale === "en" ? "Live pages" : "在线演示", items: [
      { text: t["page-walk"], link: base + "page-walk" },
      { text: t.buddy, link: base + "buddy" },
      { text: t.slub, link: base + "slub" },
      { text: t["address-space"], link: base + "address-space" },
      { text: t["page-fault"], link: base + "page-fault" },
      { text: t["fork-cow"], link: base + "fork-cow" },
      { text: t.malloc, link: base + "malloc" },
      { text: t["process-layout"], link: base + "process-layout" },
      { text: t["page-cache"], link: base + "page-cache" },
      { text: t["read-write-mmap"], link: base + "read-write-mmap" },
      { text: t["page-replacement"], link: base + "page-replacement" },
    ] },
  ];
}

export default defineConfig({
  title: "mmsim",
  description: "A faithful, fast simulator of Linux memory management, in TypeScript.",
  cleanUrls: false,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  lastUpdated: false,
  locales: {
    root: {
      label: "English",
      lang: "en-US",
      themeConfig: {
        nav: nav("en"),
        sidebar: sidebar("en"),
        outline: { level: [2, 3] },
      },
    },
    zh: {
      label: "简体中文",
      lang: "zh-CN",
      link: "/zh/",
      title: "mmsim",
      description: "一个忠实、快速的 Linux 内存管理模拟器（TypeScript 实现）。",
      themeConfig: {
        nav: nav("zh"),
        sidebar: sidebar("zh"),
        outline: { level: [2, 3], label: "本页目录" },
        docFooter: { prev: "上一页", next: "下一页" },
        langMenuLabel: "语言",
        returnToTopLabel: "回到顶部",
        sidebarMenuLabel: "菜单",
        darkModeSwitchLabel: "外观",
      },
    },
  },
  themeConfig: {
    search: {
      provider: "local",
      options: {
        locales: {
          zh: {
            translations: {
              button: { buttonText: "搜索", buttonAriaLabel: "搜索" },
              modal: {
                noResultsText: "没有结果",
                resetButtonTitle: "清除",
                footer: { selectText: "选择", navigateText: "切换", closeText: "关闭" },
              },
            },
          },
        },
      },
    },
  },
  vite: {
    resolve: { conditions: ["mmsim-source"] },
    ssr: { resolve: { conditions: ["mmsim-source"] } },
    server: { host: "127.0.0.1" },
    preview: { host: "127.0.0.1" },
  },
});
