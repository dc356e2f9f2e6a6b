import { Admin } from "@platformatic/kafka";
import type { KafkaLogOptions } from "./options.js";

/**
 * Creates the events topic when it does not exist and returns its partition count. The count
 * is part of the store's layout (one board and report shard per partition), so an existing
 * topic is taken as it is; the store refuses to run against a count it was not built for.
 */
export async function ensureTopic(options: KafkaLogOptions): Promise<number> {
  const admin = new Admin({ clientId: `${options.clientId}-admin`, bootstrapBrokers: [...options.brokers] });
  try {
    const existing = await partitionCount(admin, options.topic);
    if (existing !== null) return existing;
    try {
      await admin.createTopics({
        topics: [options.topic],
        partitions: options.partitions,
        replicas: options.replicationFactor,
        configs: [{ name: "min.insync.replicas", value: String(Math.min(2, options.replicationFactor)) }],
      });
    } catch (error) {
      // Another process created it first: fine, as long as it exists now.
      if ((await partitionCount(admin, options.topic)) === null) throw error;
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      const count = await partitionCount(admin, options.topic);
      if (count !== null) return count;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`kafka: topic ${options.topic} was created but has no metadata yet`);
  } finally {
    await admin.close();
  }
}

async function partitionCount(admin: Admin, topic: string): Promise<number | null> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return null;
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  return metadata.topics.get(topic)?.partitionsCount ?? null;
}
