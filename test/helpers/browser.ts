/**
 * A real browser for the web console's tests: Debian's chromium, driven over CDP by
 * playwright-core (which downloads no browser of its own). One browser per test file, since
 * starting chromium costs a second or more on a shared machine; a fresh context (cookies,
 * storage) per test, so that one test's session never leaks into the next. Screenshots go
 * to test-output/web/ (gitignored), named by test, for a human to look at after a run.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "./circusd.js";
import { defer } from "./cleanup.js";

/** Where Debian's chromium package puts the browser (scripts/test-deps.mjs installs it). */
export const CHROMIUM = process.env.CIRCUS_TEST_CHROMIUM ?? "/usr/bin/chromium";
/** Where screenshots are saved. */
export const SCREENSHOTS = path.join(ROOT, "test-output/web");

let browser: Browser | null = null;

/**
 * The file's browser, launched on first use and closed after the file. Call it from a test
 * or a `before` hook of a file that called cleanupEachTest().
 */
export async function launchBrowser(): Promise<Browser> {
  if (browser?.isConnected()) return browser;
  // --no-sandbox: the tests run as root in a container, where chromium's sandbox refuses
  // to start; the pages it opens are our own.
  const launched = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  browser = launched;
  // Registered from a `before` hook or module level this runs after the file; from a test,
  // after that test, and the next test launches again: correct either way.
  defer(async () => {
    browser = null;
    await launched.close();
  });
  return launched;
}

/**
 * A page in a fresh context of the file's browser; the context closes after the test. With
 * a `name`, the page's last look is saved as test-output/web/end/NAME.png. An uncaught
 * exception or a CSP refusal in the page fails the test at its end.
 */
export async function newPage(
  options: { baseURL?: string; name?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const b = await launchBrowser();
  const context = await b.newContext({
    viewport: { width: 1280, height: 860 },
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  });
  // Bounded waits everywhere: a test fails with a message rather than hanging the file.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  defer(() => context.close());
  // What a user would not see but a broken page shows: uncaught exceptions, and anything
  // the Content-Security-Policy refused (an inline style or script, a foreign URL). Failed
  // requests (a 401 before login) are the page's business, not counted.
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  defer(() => {
    if (problems.length > 0) throw new Error(`the page reported:\n${problems.join("\n")}`);
  });
  // How the page looked when the test ended (passed or not): what a failure message cannot
  // say. Deferred after the close, so it runs before it.
  const { name } = options;
  if (name) defer(() => screenshot(page, path.join("end", name)).catch(() => undefined));
  return { context, page };
}

/** A file name out of a test's name: lower case, words joined by "-". */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 80);
}

/** Saves a full-page screenshot as test-output/web/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, ...name.split("/").map(slug)) + ".png";
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
