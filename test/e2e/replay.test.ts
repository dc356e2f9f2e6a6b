import { describeReplay } from "./replay-suite.js";

describeReplay("embedded SQLite store", () => ({}));
