// What bench/sqlite-writes/load-generator.ts uses of autocannon beyond bench/reads/autocannon.d.ts.
declare module "autocannon" {
  interface Request {
    /** Called with each answer's status and whole body (autocannon then keeps the bodies). */
    onResponse?: (status: number, body: string) => void;
  }
}
