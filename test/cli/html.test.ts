/**
 * DIR/report.html of `mmcheck check` in headless Chromium (Debian's chromium package, which
 * .ci/run installs, driven by playwright-core): the swimlanes of a 3-thread counterexample, step
 * forward/back, the filter by object, no request leaving the page, and a screenshot.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!CHROMIUM && process.env.CI) throw new Error("chromium is missing: CI installs it (.ci/run), and the HTML report's test must run there");
if (!CHROMIUM) console.warn("\n*** test/cli/html.test.ts SKIPPED: no chromium here (apt-get install chromium); CI runs it ***\n");

const root = mkdtempSync(join(tmpdir(), "mmcheck-html-"));
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!CHROMIUM)("report.html", () => {
  beforeAll(async () => {
    const r = spawnSync(process.execPath, [MAIN, "check", "--scenario", "wp-pagecache-deadlock", "--scenario", "split-unmap", "--out", root], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 120_000);

  it("shows the matrix and a 3-thread deadlock's swimlanes, steps forward and back, and filters by object", async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const url = pathToFileURL(join(root, "report.html")).href;
    await page.goto(url);
    expect(errors).toEqual([]);
    // Self-contained: the page itself is the only thing loaded.
    expect(requests).toEqual([url]);

    expect(await page.locator("table.matrix tr").count()).toBe(3);
    expect(await page.locator("table.matrix td.held").count()).toBeGreaterThan(0);

    const cx = page.locator("section.cx", { has: page.locator("h2", { hasText: "wp-pagecache-deadlock under bug-wp-pagecache-folio-deadlock" }) });
    expect(await cx.count()).toBe(1);
    expect(await cx.locator(".lane-head").allTextContents()).toEqual(["#", "owner", "other", "child"]);
    const steps = cx.locator(".step");
    const n = await steps.count();
    expect(n).toBe(7);
    // Every lane has steps, each names its kernel function; the race's objects are marked.
    const lanes = new Set(await steps.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.lane)));
    expect(lanes).toEqual(new Set(["0", "1", "2"]));
    for (const fn of await cx.locator(".step .fn").allTextContents()) expect(fn).toMatch(/^[a-z_0-9]+$/);
    expect(await cx.locator(".step .shared").count()).toBeGreaterThan(0);
    await expect.poll(() => cx.locator(".outcome").textContent()).toMatch(/^deadlock violated/);

    // Step forward and back: the current step moves, and the state diff follows it.
    expect(await cx.locator(".step.current").getAttribute("data-step")).toBe("0");
    const pos0 = await cx.locator(".pos").textContent();
    await cx.locator("button.next").click();
    await cx.locator("button.next").click();
    expect(await cx.locator(".step.current").getAttribute("data-step")).toBe("2");
    expect(await cx.locator(".pos").textContent()).toMatch(/^step 3 of 7: /);
    const diffs = [];
    for (let i = 2; i < n - 1; i++) {
      diffs.push(await cx.locator(".diff").textContent());
      await cx.locator("button.next").click();
    }
    // Some step took a lock: its diff names the lock's holder.
    expect(diffs.join("\n")).toMatch(/(mmap_lock|i_mmap_rwsem|fault_mutex|page_table_lock|lock)[^\n]*→/);
    await cx.locator("button.prev").click();
    expect(await cx.locator(".step.current").getAttribute("data-step")).toBe(String(n - 2));
    for (let i = 0; i < n; i++) await cx.locator("button.prev").click();
    expect(await cx.locator(".pos").textContent()).toBe(pos0);

    // The filter keeps the steps that touch one object.
    const options = (await cx.locator("select option").allTextContents()).slice(1);
    expect(options.length).toBeGreaterThan(1);
    const data = JSON.parse((await page.locator("#mmcheck-data").textContent())!) as { scenario: string; steps: { objects: string[] }[] }[];
    const cxData = data.find((d) => d.scenario === "wp-pagecache-deadlock")!;
    const object = options.find((o) => { const k = cxData.steps.filter((s) => s.objects.includes(o)).length; return k > 0 && k < n; })!;
    await cx.locator("select").selectOption(object);
    const shown = await steps.evaluateAll((els) => els.filter((e) => !e.classList.contains("hidden")).map((e) => Number((e as HTMLElement).dataset.step)));
    expect(shown).toEqual(cxData.steps.flatMap((s, i) => (s.objects.includes(object) ? [i] : [])));
    expect(shown.length).toBeLessThan(n);
    await cx.locator("button.next").click();
    expect(shown).toContain(Number(await cx.locator(".step.current").getAttribute("data-step")));

    const shot = await cx.screenshot({ path: join(root, "swimlanes.png") });
    expect(shot.subarray(1, 4).toString()).toBe("PNG");
    expect(shot.length).toBeGreaterThan(10_000);
    expect(readFileSync(join(root, "swimlanes.png")).length).toBe(shot.length);
  }, 120_000);
});
