/**
 * Who is left off the boards by default. GitHub names its apps `name[bot]`; other automation
 * accounts (CI users, mirrors) are listed by the operator in EVENTSCORE_BOT_ACCOUNTS.
 */
export function isBot(userId: string, knownBots: ReadonlySet<string>): boolean {
  return userId.endsWith("[bot]") || knownBots.has(userId.toLowerCase());
}
