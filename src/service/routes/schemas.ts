/** Request and response schemas shared by several routes. */

export const detailSchema = {
  type: 'object',
  properties: { detail: {} },
  required: ['detail'],
} as const;

/** The OAuth2 password-flow form, as FastAPI's OAuth2PasswordRequestForm accepts it. */
export const credentialsFormSchema = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', maxLength: 1024 },
    grant_type: { type: 'string', maxLength: 64, pattern: '^password$' },
    scope: { type: 'string', maxLength: 1024 },
    client_id: { type: 'string', maxLength: 256 },
    client_secret: { type: 'string', maxLength: 1024 },
  },
} as const;

export interface CredentialsForm {
  username: string;
  password: string;
}

export const bearerSecurity = [{ OAuth2PasswordBearer: [] }];

/** A workflow name in a path: a DNS-1123 subdomain as Kubernetes names are. */
export const workflowNameParams = {
  type: 'object',
  required: ['workflow_name'],
  properties: { workflow_name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' } },
} as const;
