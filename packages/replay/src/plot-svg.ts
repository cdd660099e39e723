// Miss-ratio curves as one SVG figure: x = frames (log scale when the sizes span more than a
// decade), y = miss ratio from 0 to the largest ratio shown, one polyline and legend entry per
// policy. Plain SVG 1.1 text, no scripts, so it renders anywhere and diffs as text.

/** One curve: a label and its (frames, miss ratio) points. */
export interface MissCurve {
  label: string;
  points: { frames: number; ratio: number }[];
}

const WIDTH = 720;
const HEIGHT = 440;
const LEFT = 64;
const RIGHT = 150;
const TOP = 30;
const BOTTOM = 50;
/** A palette that stays distinct in print and for common colour blindness (Okabe & Ito). */
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000", "#999999"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The SVG text of a figure with `curves`, titled `title`. */
export function missRatioSvg(title: string, curves: MissCurve[]): string {
  const all = curves.flatMap((c) => c.points);
  const minF = Math.max(1, Math.min(...all.map((p) => p.frames)));
  const maxF = Math.max(minF + 1, ...all.map((p) => p.frames));
  const log = maxF / minF > 10;
  const maxR = Math.max(1e-9, ...all.map((p) => p.ratio));
  const yTop = niceCeil(maxR);
  const w = WIDTH - LEFT - RIGHT;
  const h = HEIGHT - TOP - BOTTOM;
  const x = (f: number) => LEFT + (log ? Math.log(f / minF) / Math.log(maxF / minF) : (f - minF) / (maxF - minF)) * w;
  const y = (r: number) => TOP + h - (r / yTop) * h;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${LEFT}" y1="${TOP + h}" x2="${LEFT + w}" y2="${TOP + h}" stroke="black"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + h}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const r = (yTop * i) / 5;
    out.push(`<line x1="${LEFT - 4}" y1="${y(r).toFixed(1)}" x2="${LEFT + w}" y2="${y(r).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 8}" y="${(y(r) + 4).toFixed(1)}" text-anchor="end">${r.toFixed(yTop < 0.05 ? 4 : 2)}</text>`);
  }
  for (const f of xTicks(minF, maxF, log)) {
    out.push(`<line x1="${x(f).toFixed(1)}" y1="${TOP + h}" x2="${x(f).toFixed(1)}" y2="${TOP + h + 4}" stroke="black"/>`);
    out.push(`<text x="${x(f).toFixed(1)}" y="${TOP + h + 18}" text-anchor="middle">${f}</text>`);
  }
  out.push(`<text x="${LEFT + w / 2}" y="${HEIGHT - 10}" text-anchor="middle">frames${log ? " (log scale)" : ""}</text>`);
  out.push(`<text transform="translate(16 ${TOP + h / 2}) rotate(-90)" text-anchor="middle">miss ratio</text>`);
  curves.forEach((c, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...c.points].sort((a, b) => a.frames - b.frames).map((p) => `${x(p.frames).toFixed(1)},${y(p.ratio).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts.join(" ")}"/>`);
    const ly = TOP + 10 + i * 18;
    out.push(`<line x1="${LEFT + w + 14}" y1="${ly}" x2="${LEFT + w + 36}" y2="${ly}" stroke="${color}" stroke-width="2.5"/>`);
    out.push(`<text x="${LEFT + w + 42}" y="${ly + 4}">${esc(c.label)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

function niceCeil(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

function xTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let p = 2 ** Math.ceil(Math.log2(min)); p <= max; p *= 2) out.push(p);
    return out.length > 12 ? out.filter((_, i) => i % 2 === 0) : out;
  }
  const step = niceCeil((max - min) / 8);
  const out: number[] = [];
  for (let f = Math.ceil(min / step) * step; f <= max; f += step) out.push(f);
  return out;
}
