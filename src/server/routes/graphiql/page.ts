/** What a first-time visitor sees in the editor: a runnable walkthrough. */
export const DEFAULT_QUERY = `# Welcome to eventscore.
# Put the cursor in an operation and press Ctrl-Enter,
# or pick it from the run button's menu.

# 1. Record an event. Sending the same id again
#    changes nothing: recording is idempotent.
mutation RecordEvent {
  recordEvent(
    event: {
      id: "walkthrough-1"
      userId: "octocat"
      type: "PushEvent"
      occurredAt: "2025-01-06T12:00:00Z"
    }
  ) {
    accepted
    duplicates
    rejected { code reason }
  }
}

# 2. The all-time leaderboard, with each user's
#    per-type breakdown.
query Leaderboard {
  leaderboard(window: ALL_TIME, first: 10) {
    nodes {
      rank
      userId
      value
      user {
        score { breakdown { type count points } }
      }
    }
  }
}

# 3. Live events over WebSocket. Run this, then in a
#    second tab run RecordEvent with a new id: each
#    recorded event shows up here.
subscription EventRecorded {
  eventRecorded {
    id
    userId
    type
    occurredAt
    points
  }
}
`;

export interface PageOptions {
  readonly title: string;
  readonly endpoint: string;
  /** Same-origin URLs of the bundle, versioned by content hash. */
  readonly scriptUrl: string;
  readonly styleUrl: string;
  /** Lets the bundle add <style> elements under the CSP (GraphiQL's dialogs lock scrolling that way). */
  readonly styleNonce: string;
}

/**
 * The HTML shell. It has no inline script or style, so the Content-Security-Policy can stay at 'self';
 * settings reach the bundle as a JSON data block, which browsers never execute.
 */
export function renderPage(options: PageOptions): string {
  const { endpoint, styleNonce } = options;
  const config = JSON.stringify({ endpoint, styleNonce, defaultQuery: DEFAULT_QUERY })
    // "</script>" or "<!--" inside the JSON must not end the data block early.
    .replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(options.styleUrl)}">
<script defer src="${escapeHtml(options.scriptUrl)}"></script>
<script id="graphiql-config" type="application/json">${config}</script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…<noscript> GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
