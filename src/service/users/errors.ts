/** A user of that name exists already (the unique index said so). */
export class UserExistsError extends Error {
  constructor(readonly username: string) {
    super(`User with username ${username} already exists.`);
    this.name = 'UserExistsError';
  }
}
