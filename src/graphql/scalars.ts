import { GraphQLError, GraphQLScalarType } from "graphql";
import { DateTimeResolver } from "graphql-scalars";

export {
  DateResolver as DateScalar,
  JSONResolver as JsonScalar,
  SafeIntResolver as SafeIntScalar,
} from "graphql-scalars";

// RFC 3339 has four-digit years; Date#toISOString writes later ones as "+010000-01-01T…".
const RFC3339_YEAR = /^\d{4}-/;

/**
 * graphql-scalars' DateTime, printing every value as an RFC 3339 string, and refusing (a field
 * error) to print a time RFC 3339 cannot write, rather than answering "+010000-01-01T00:00:00.000Z".
 * Inputs keep their ranges small enough that this never happens (see arguments.ts, event.ts).
 */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  serialize(value) {
    const serialized: unknown = DateTimeResolver.serialize(value);
    const text = serialized instanceof Date ? serialized.toISOString() : String(serialized);
    if (!RFC3339_YEAR.test(text))
      throw new GraphQLError(`${text} cannot be written as an RFC 3339 date-time`);
    return text;
  },
});
