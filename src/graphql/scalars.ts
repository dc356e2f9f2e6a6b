export {
  DateResolver as DateScalar,
  DateTimeResolver as DateTimeScalar,
  JSONResolver as JsonScalar,
  SafeIntResolver as SafeIntScalar,
} from "graphql-scalars";
