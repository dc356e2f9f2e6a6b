import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium: playwright cannot download its own browser on these offline machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether browser tests can run. In CI a missing browser is a broken setup, so this throws; on a
 * developer's machine the tests are skipped with one loud line.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") {
    throw new Error(`${CHROMIUM_PATH} is missing in CI: apt-get install chromium`);
  }
  console.warn(`!!! browser tests SKIPPED: ${CHROMIUM_PATH} not found; run: apt-get install -y chromium`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Without the background-networking flags Chromium keeps dialing Google's services, which this
    // closed network refuses; --no-sandbox because tests run as root.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
