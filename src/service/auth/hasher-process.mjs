// The password hasher: argon2 work in a separate process that the service
// starts at the lowest CPU priority, so hashing only ever takes CPU time that
// request handling leaves over. Plain JavaScript: it runs without tsx.
import argon2 from 'argon2';

process.on('message', async (message) => {
  const { id, op, password, hash, options } = message;
  try {
    const result = op === 'hash' ? await argon2.hash(password, { ...options, type: argon2.argon2id }) : await argon2.verify(hash, password);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
