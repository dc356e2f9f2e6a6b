import { ArgsType, Field, InputType, ObjectType, registerEnumType } from "type-graphql";
import { REPORT_DIMENSIONS, type ReportDimension } from "../../services/reports.js";
import { DateScalar, SafeIntScalar } from "../scalars.js";

export const ReportDimensionEnum = Object.fromEntries(REPORT_DIMENSIONS.map((d) => [d, d])) as {
  [D in ReportDimension]: D;
};

registerEnumType(ReportDimensionEnum, {
  name: "ReportDimension",
  description:
    "What a report groups by: one time grain (DAY, WEEK, MONTH; UTC, ISO weeks), TYPE, CATEGORY, GROUP.",
});

@InputType({ description: "Only events matching every given list (a null list matches all)." })
export class ReportFilterInput {
  @Field(() => [String], { nullable: true })
  types?: string[] | null;

  @Field(() => [String], { nullable: true })
  categories?: string[] | null;

  @Field(() => [String], { nullable: true, description: "An event with several groups counts in each." })
  groups?: string[] | null;

  @Field(() => [String], { nullable: true })
  userIds?: string[] | null;
}

@ArgsType()
export class ReportArgs {
  @Field(() => DateScalar, { description: "First day (inclusive, UTC)." })
  from!: Date;

  @Field(() => DateScalar, { description: "Day after the last (exclusive, UTC)." })
  to!: Date;

  @Field(() => [ReportDimensionEnum], { defaultValue: [] })
  groupBy!: ReportDimension[];

  @Field(() => ReportFilterInput, { nullable: true })
  filter?: ReportFilterInput | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "One report row: the grouped dimensions' values (null when not grouped) and measures.",
})
export class ReportRow {
  @Field(() => String, {
    nullable: true,
    description: "The day, the ISO week's Monday, or the month (YYYY-MM).",
  })
  period!: string | null;

  @Field(() => String, { nullable: true })
  type!: string | null;

  @Field(() => String, { nullable: true, description: "Null also for events without a category." })
  category!: string | null;

  @Field(() => String, { nullable: true, description: "Null also for events without a group." })
  group!: string | null;

  @Field(() => SafeIntScalar)
  events!: number;

  @Field(() => SafeIntScalar, { description: "Distinct users." })
  users!: number;

  @Field(() => SafeIntScalar)
  score!: number;
}

@ObjectType({ simpleResolvers: true, description: "Aggregates by day, event type, category and user group." })
export class Report {
  @Field(() => DateScalar)
  from!: Date;

  @Field(() => DateScalar)
  to!: Date;

  @Field(() => [ReportDimensionEnum])
  groupBy!: ReportDimension[];

  @Field(() => [ReportRow], { description: "Sorted by period, type, category, group (nulls first)." })
  rows!: readonly ReportRow[];
}
