/** Request and response schemas shared by several routes (TypeBox: JSON Schema with the TypeScript type derived from it). */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const detailSchema = Type.Object({ detail: Type.Unknown() });

/** The `{"message": …}` answer of a route that changes something. */
export const messageSchema = Type.Object({ message: Type.String() });

/**
 * `schema` or null, as `{"type": [T, "null"]}`: the serializer writes it directly, where `anyOf` would make it
 * validate each value to choose a branch.
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  // Object.entries leaves out TypeBox's symbol keys: the result is a schema of its own kind.
  return Type.Unsafe<Static<T> | null>({ ...Object.fromEntries(Object.entries(schema)), type: [schema.type, 'null'] });
}

/** One of `values`, as `{"type": "string", "enum": [...]}` (TypeBox's unions of literals would report one error per value). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A redirect: no body, the target in `Location`. */
export const redirectSchema = (description: string) => Type.Null({ description });

/** One field a request got wrong, in FastAPI's shape (see plugins/error-handler.ts). */
const validationIssueSchema = Type.Object({
  type: Type.String(),
  loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
  msg: Type.String(),
  input: Type.Optional(Type.Null()),
});

/**
 * 422: every field that failed validation, each naming where it is (`["body", "recipe_path"]`); or, for a recipe the
 * service cannot use (POST /submit, /render), a message saying what is wrong with it.
 */
export const validationErrorSchema = Type.Object(
  { detail: Type.Union([Type.Array(validationIssueSchema), Type.String()]) },
  { description: 'Validation Error: each entry names the field (`loc`) and what is wrong with it (`msg`), or a message about the recipe.' },
);

/** The OAuth2 password-flow form, as FastAPI's OAuth2PasswordRequestForm accepts it. */
export const credentialsFormSchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 128 }),
  password: Type.String({ maxLength: 1024 }),
  grant_type: Type.Optional(Type.String({ maxLength: 64, pattern: '^password$' })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ maxLength: 1024 })),
});

export const bearerSecurity = [{ OAuth2PasswordBearer: [] }];

/** A workflow name in a path: a DNS-1123 subdomain as Kubernetes names are. */
export const workflowNameParams = Type.Object({
  workflow_name: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
});
