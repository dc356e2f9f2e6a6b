import { describe, expect, it } from "vitest";
import { compareUtf8 } from "../../src/domain/utf8-order.js";
import { random } from "../support/fuzz.js";

const bytes = (a: string, b: string): number =>
  Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));

describe("compareUtf8", () => {
  it("orders as the UTF-8 bytes do, where UTF-16 code units would not", () => {
    // U+FF61 is EF BD A1 in UTF-8, U+1F600 is F0 9F 98 80; in UTF-16 the emoji's D83D sorts first.
    expect("😀" < "\uFF61").toBe(true);
    expect(Math.sign(compareUtf8("\uFF61", "😀"))).toBe(-1);
    expect(Math.sign(compareUtf8("ab", "abc"))).toBe(-1);
    expect(compareUtf8("same", "same")).toBe(0);
  });

  it("agrees with Buffer.compare on random strings of ASCII, BMP and astral characters", () => {
    const next = random(5);
    const alphabet = ["a", "b", "Z", "é", "\u3042", "\uE000", "\uFF61", "😀", "𝄞", "-"];
    const word = (): string =>
      Array.from(
        { length: Math.floor(next() * 5) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join("");
    for (let i = 0; i < 5_000; i++) {
      const a = word();
      const b = word();
      expect(Math.sign(compareUtf8(a, b))).toBe(bytes(a, b));
    }
  });
});
