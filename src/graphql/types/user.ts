import { Field, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A user: anyone who has (or may have) recorded events." })
export class User {
  @Field(() => String)
  id!: string;
}
