import { describe, expect, it } from "vitest";
import { listenForNotices, publishNotice } from "../../src/services/log/notices.js";
import type { AppliedNotice } from "../../src/services/log/ports.js";
import { InProcessPubSub } from "../../src/services/pubsub.js";

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("applied notices on the pub/sub", () => {
  it("reads back what an aggregator published, and skips messages that are not notices", async () => {
    const pubsub = new InProcessPubSub(() => undefined);
    const heard: AppliedNotice[] = [];
    let skipped = 0;
    const unlisten = await listenForNotices(
      pubsub,
      "applied",
      (notice) => heard.push(notice),
      () => (skipped += 1),
    );
    const notice: AppliedNotice = {
      shard: 1,
      fromOffset: 10,
      toOffset: 12,
      notInserted: [[11, "duplicate"]],
    };
    await publishNotice(pubsub, "applied", notice);
    await pubsub.publish("applied", { shard: 1, fromOffset: 0, toOffset: 1, notInserted: [[0, "inserted"]] });
    await pubsub.publish("applied", "not a notice");
    await until(() => heard.length + skipped === 3);
    expect(heard).toEqual([notice]);
    expect(skipped).toBe(2);
    unlisten();
    await pubsub.close();
  });
});
