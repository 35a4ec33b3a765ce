/**
 * Builds an update expression with every attribute name aliased (`status`, `values`, `at` are DynamoDB
 * reserved words) and every value bound.
 */
export class UpdateBuilder {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];

  /** Aliases are `#<attribute>`, so conditions can name an attribute the update names too. */
  name(attribute: string): string {
    const alias = `#${attribute}`;
    this.names[alias] = attribute;
    return alias;
  }

  /** The placeholder of the value set for `attribute`, for use in a condition. */
  value(attribute: string): string {
    return `:${attribute}`;
  }

  bindValue(placeholder: string, value: unknown): string {
    this.values[`:${placeholder}`] = value;
    return `:${placeholder}`;
  }

  set(attribute: string, value: unknown): this {
    this.sets.push(`${this.name(attribute)} = ${this.bindValue(attribute, value)}`);
    return this;
  }

  setIfNotExists(attribute: string, value: unknown): this {
    const alias = this.name(attribute);
    this.sets.push(`${alias} = if_not_exists(${alias}, ${this.bindValue(attribute, value)})`);
    return this;
  }

  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  build(): {
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  } {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(", ")}` : "",
      this.removes.length > 0 ? `REMOVE ${this.removes.join(", ")}` : "",
    ].filter((clause) => clause !== "");
    return {
      UpdateExpression: clauses.join(" "),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
    };
  }
}
