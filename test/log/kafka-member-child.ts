/**
 * A consumer-group member in a process of its own, so that a test can SIGKILL it: joins the group
 * of KAFKA_GROUP on KAFKA_TOPIC and prints its assignment as one JSON line after every rebalance.
 */
import { joinGroup } from "./kafka-group.js";

const brokers = (process.env["KAFKA_BROKERS"] ?? "").split(",");
const member = await joinGroup(brokers, process.env["KAFKA_GROUP"] ?? "", process.env["KAFKA_TOPIC"] ?? "");
const report = (): void => {
  process.stdout.write(`${JSON.stringify({ partitions: member.partitions() })}\n`);
};
member.consumer.on("consumer:group:join", () => setImmediate(report));
report();
