/** Request and response schemas shared by several routes (TypeBox: JSON Schema with the TypeScript type derived from it). */
import { Type, type Static } from '@sinclair/typebox';

export const detailSchema = Type.Object({ detail: Type.Unknown() });

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

export type CredentialsForm = Static<typeof credentialsFormSchema>;

export const bearerSecurity = [{ OAuth2PasswordBearer: [] }];

/** A workflow name in a path: a DNS-1123 subdomain as Kubernetes names are. */
export const workflowNameParams = Type.Object({
  workflow_name: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
});
