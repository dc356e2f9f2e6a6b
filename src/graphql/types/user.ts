import { Field, ObjectType } from "type-graphql";

@ObjectType({ description: "A user: anyone who has (or may have) recorded events." })
export class User {
  @Field(() => String)
  id!: string;
}
