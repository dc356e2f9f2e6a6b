import { Args, Ctx, Query, Resolver } from "type-graphql";
import { InvalidReportError } from "../../services/reports.js";
import type { Context } from "../context.js";
import { badUserInput } from "../errors.js";
import { Report, ReportArgs } from "../types/report.js";

@Resolver()
export class ReportResolver {
  @Query(() => Report, {
    description:
      "Event counts, distinct users and score over a date range, grouped and filtered. Also as CSV: GET /reports.csv.",
  })
  async report(@Ctx() ctx: Context, @Args(() => ReportArgs) args: ReportArgs): Promise<Report> {
    const groupBy = [...new Set(args.groupBy)];
    try {
      const rows = await ctx.services.reports.run(
        {
          from: args.from,
          to: args.to,
          groupBy,
          filter: {
            types: args.filter?.types ?? null,
            categories: args.filter?.categories ?? null,
            groups: args.filter?.groups ?? null,
            userIds: args.filter?.userIds ?? null,
          },
        },
        ctx.deadline?.signal,
      );
      return { from: args.from, to: args.to, groupBy, rows };
    } catch (error) {
      if (error instanceof InvalidReportError) throw badUserInput(error.message);
      throw error;
    }
  }
}
