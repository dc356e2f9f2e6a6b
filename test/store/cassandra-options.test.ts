/**
 * The driver options of the Cassandra store, without a Cassandra: the port that the driver uses
 * for the nodes it discovers, and the consistency of every read and write.
 */
import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import { nativePortOf } from "../../src/store/cassandra/contact-points.js";
import { clientOptions } from "../../src/store/cassandra/options.js";

const { consistencies } = cassandra.types;

describe("Cassandra driver options", () => {
  it.each([
    [["127.0.0.1"], 9042],
    [["127.0.0.1:9043"], 9043],
    [["127.0.0.1:9043", "127.0.0.2:9043", "127.0.0.3"], 9043],
    [["cassandra-0.cassandra:9142", " cassandra-1.cassandra:9142 "], 9142],
    [["[::1]:9044"], 9044],
    [["::1"], 9042],
  ])("takes the port of %j for every node, the discovered ones too: %i", (points, port) => {
    expect(nativePortOf(points)).toBe(port);
  });

  it("refuses contact points on different ports, and ports that are not ports", () => {
    expect(() => nativePortOf(["127.0.0.1:9042", "127.0.0.2:9043"])).toThrow(
      /different ports \(9042, 9043\)/,
    );
    expect(() => nativePortOf(["127.0.0.1:nine"])).toThrow(/invalid port/);
    expect(() => nativePortOf(["127.0.0.1:70000"])).toThrow(/invalid port/);
  });

  it("gives the driver that port, so that peers 127.0.0.2 and .3 are reached on 9043 and not on 9042", () => {
    const driver = clientOptions({
      contactPoints: ["127.0.0.1:9043"],
      localDataCenter: "datacenter1",
      keyspace: "unused",
    });
    expect(driver.protocolOptions?.port).toBe(9043);
  });

  it("reads and writes at LOCAL_QUORUM unless configured otherwise", () => {
    const options = { contactPoints: ["127.0.0.1"], localDataCenter: "datacenter1", keyspace: "unused" };
    expect(clientOptions(options).queryOptions?.consistency).toBe(consistencies.localQuorum);
    expect(clientOptions({ ...options, consistency: "ONE" }).queryOptions?.consistency).toBe(
      consistencies.one,
    );
    const config = loadConfig({ EVENTSCORE_STORE: "cassandra", CASSANDRA_REPLICATION_FACTOR: "3" });
    expect(config.store).toMatchObject({ consistency: "LOCAL_QUORUM", replicationFactor: 3 });
  });

  it("stops the configuration at contact points on different ports, naming the variable", () => {
    expect(() =>
      loadConfig({
        EVENTSCORE_STORE: "cassandra",
        CASSANDRA_CONTACT_POINTS: "127.0.0.1:9042,127.0.0.2:9043",
      }),
    ).toThrow(/CASSANDRA_CONTACT_POINTS: contact points name different ports/);
  });
});
